#include "ctl/clients/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

#include "build_info.h"

namespace sloth::ctl {
namespace {

size_t Append(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

HttpResult Get(const std::string& url, std::chrono::milliseconds timeout, const char* encodings,
               CURLcode* code_out) {
  HttpResult result;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    result.error = "cannot initialise libcurl";
    return result;
  }
  char error[CURL_ERROR_SIZE] = {};
  const std::string agent = std::string("slothctl/") + build::kVersion;
  const long connect_ms = std::min<long>(static_cast<long>(timeout.count()), 5000);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  curl_easy_setopt(curl.get(), CURLOPT_ACCEPT_ENCODING, encodings);
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, agent.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &result.body);
  const CURLcode code = curl_easy_perform(curl.get());
  *code_out = code;
  if (code != CURLE_OK) {
    result.error = error[0] ? error : curl_easy_strerror(code);
    result.body.clear();
    return result;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
  char* content_type = nullptr;
  curl_easy_getinfo(curl.get(), CURLINFO_CONTENT_TYPE, &content_type);
  if (content_type) result.content_type = content_type;
  return result;
}

}  // namespace

HttpResult HttpGet(const std::string& url, std::chrono::milliseconds timeout) {
  CURLcode code = CURLE_OK;
  HttpResult result = Get(url, timeout, "", &code);  // "": every encoding libcurl decodes
  // Our write callback never fails, so a write error is the decoder's: libcurl refuses
  // multi-member gzip (valid RFC 1952, and what slothd sends). Ask once more, uncompressed.
  if (code == CURLE_WRITE_ERROR || code == CURLE_BAD_CONTENT_ENCODING) {
    result = Get(url, timeout, "identity", &code);
  }
  return result;
}

}  // namespace sloth::ctl
