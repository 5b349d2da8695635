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

// How to reach an endpoint behind a web-config: the CA that signed its certificate, a client
// certificate, basic-auth credentials. Empty fields are not used.
struct HttpCredentials {
  std::string cacert;  // PEM file; empty: the system's CAs
  std::string cert;    // client certificate (PEM)
  std::string key;     // its key; empty: in `cert`
  std::string user;    // basic auth; the password never comes from argv (see http_password.h)
  std::string password;
};

// Fetches `url`, giving up after `timeout` overall (connecting within min(timeout, 5s)).
// `accept`: the Accept header to send; empty: curl's default.
HttpResult HttpGet(const std::string& url, std::chrono::milliseconds timeout, const HttpCredentials& credentials = {},
                   const std::string& accept = {});

}  // namespace sloth::ctl
