#include "ctl/clients/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

#include "build_info.h"
#include "common/dynamic_library.h"

namespace sloth::ctl {
namespace {

size_t Append(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// libcurl is opened only when a command fetches over HTTP (--endpoint): linked in, it and its
// ≈30 dependencies cost every slothctl run a few milliseconds of dynamic linking.
struct Libcurl {
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  void (*easy_cleanup)(CURL*);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);

  // Opened on first use; the failure says why when libcurl.so.4 is not there.
  static const Result<const Libcurl*>& Get() {
    return OpenOnce<Libcurl>("libcurl.so.4", [](DynamicLibrary& so, Libcurl& lib) {
      so.Bind(lib.easy_init, "curl_easy_init");
      so.Bind(lib.easy_setopt, "curl_easy_setopt");
      so.Bind(lib.easy_perform, "curl_easy_perform");
      so.Bind(lib.easy_getinfo, "curl_easy_getinfo");
      so.Bind(lib.easy_cleanup, "curl_easy_cleanup");
      so.Bind(lib.easy_strerror, "curl_easy_strerror");
      so.Bind(lib.slist_append, "curl_slist_append");
      so.Bind(lib.slist_free_all, "curl_slist_free_all");
    });
  }
};

HttpResult Get(const std::string& url, std::chrono::milliseconds timeout, const char* encodings,
               const HttpCredentials& credentials, const std::string& accept) {
  HttpResult result;
  const auto& opened = Libcurl::Get();
  if (!opened) {
    result.error = "cannot use libcurl for HTTP (" + opened.error().message + "); install libcurl4";
    return result;
  }
  const Libcurl* lib = *opened;
  auto cleanup = [lib](CURL* c) { lib->easy_cleanup(c); };
  std::unique_ptr<CURL, decltype(cleanup)> curl(lib->easy_init(), cleanup);
  if (!curl) {
    result.error = "cannot initialise libcurl";
    return result;
  }
  char error[CURL_ERROR_SIZE] = {};
  const std::string agent = std::string("slothctl/") + build::kVersion;
  const long connect_ms = std::min<long>(static_cast<long>(timeout.count()), 5000);
  lib->easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  lib->easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  lib->easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  lib->easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  lib->easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  lib->easy_setopt(curl.get(), CURLOPT_ACCEPT_ENCODING, encodings);
  lib->easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  lib->easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 5L);
  lib->easy_setopt(curl.get(), CURLOPT_USERAGENT, agent.c_str());
  lib->easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Append);
  lib->easy_setopt(curl.get(), CURLOPT_WRITEDATA, &result.body);
  auto free_list = [lib](curl_slist* l) { lib->slist_free_all(l); };
  std::unique_ptr<curl_slist, decltype(free_list)> headers(nullptr, free_list);
  if (!accept.empty()) {
    headers.reset(lib->slist_append(nullptr, ("Accept: " + accept).c_str()));
    lib->easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  }
  if (!credentials.cacert.empty()) lib->easy_setopt(curl.get(), CURLOPT_CAINFO, credentials.cacert.c_str());
  if (!credentials.cert.empty()) lib->easy_setopt(curl.get(), CURLOPT_SSLCERT, credentials.cert.c_str());
  if (!credentials.key.empty()) lib->easy_setopt(curl.get(), CURLOPT_SSLKEY, credentials.key.c_str());
  if (!credentials.user.empty()) {
    lib->easy_setopt(curl.get(), CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    lib->easy_setopt(curl.get(), CURLOPT_USERNAME, credentials.user.c_str());
    lib->easy_setopt(curl.get(), CURLOPT_PASSWORD, credentials.password.c_str());
    // Credentials go only to the host asked, never along a redirect to another.
    lib->easy_setopt(curl.get(), CURLOPT_UNRESTRICTED_AUTH, 0L);
  }
  const CURLcode code = lib->easy_perform(curl.get());
  if (code != CURLE_OK) {
    result.error = error[0] ? error : lib->easy_strerror(code);
    result.body.clear();
    return result;
  }
  lib->easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
  char* content_type = nullptr;
  lib->easy_getinfo(curl.get(), CURLINFO_CONTENT_TYPE, &content_type);
  if (content_type) result.content_type = content_type;
  return result;
}

}  // namespace

HttpResult HttpGet(const std::string& url, std::chrono::milliseconds timeout, const HttpCredentials& credentials,
                   const std::string& accept) {
  return Get(url, timeout, "", credentials, accept);  // "": every encoding libcurl decodes
}

}  // namespace sloth::ctl
