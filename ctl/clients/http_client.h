#pragma once
// One HTTP GET with libcurl: timeouts, gzip/deflate accepted, TLS verified as libcurl does.
#include <chrono>
#include <string>

namespace sloth::ctl {

struct HttpResult {
  long status = 0;  // 0: the transfer failed, see error
  std::string content_type;
  std::string body;   // decoded
  std::string error;  // curl's words when status is 0
};

// Fetches `url`, giving up after `timeout` overall (connecting within min(timeout, 5s)).
HttpResult HttpGet(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace sloth::ctl
