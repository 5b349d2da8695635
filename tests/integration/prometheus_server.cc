#include "tests/integration/prometheus_server.h"

#include <curl/curl.h>

#include <thread>

namespace sloth::test {

PrometheusServer::PrometheusServer(const std::vector<std::string>& targets, const std::string& job) {
  std::string list;
  for (const auto& t : targets) list += (list.empty() ? "'" : ", '") + t + "'";
  Start("  - job_name: " + job + "\n    static_configs:\n      - targets: [" + list + "]\n", {});
}

PrometheusServer::PrometheusServer(const std::string& scrape_configs, const std::vector<std::string>& flags) {
  Start(scrape_configs, flags);
}

void PrometheusServer::Start(const std::string& scrape_configs, const std::vector<std::string>& flags) {
  WriteFile(dir_.File("prometheus.yml"),
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n" + scrape_configs);
  const uint16_t port = FreePort();
  api_ = "http://127.0.0.1:" + std::to_string(port);
  std::vector<std::string> args{"--config.file=" + dir_.File("prometheus.yml"),
                                "--storage.tsdb.path=" + dir_.File("data"),
                                "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"};
  args.insert(args.end(), flags.begin(), flags.end());
  process_ = std::make_unique<ChildProcess>("/usr/bin/prometheus", args);
}

nlohmann::json PrometheusServer::Get(const std::string& path_and_query) const {
  const HttpResponse r = HttpRequest(api_ + path_and_query);
  if (r.status == 0) return nlohmann::json::value_t::discarded;
  return nlohmann::json::parse(r.body, nullptr, false);
}

nlohmann::json PrometheusServer::GetUntil(const std::string& path_and_query,
                                          const std::function<bool(const nlohmann::json&)>& done,
                                          std::chrono::seconds deadline) const {
  const auto until = std::chrono::steady_clock::now() + deadline;
  nlohmann::json last;
  do {
    last = Get(path_and_query);
    if (!last.is_discarded() && done(last)) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (std::chrono::steady_clock::now() < until);
  return last;
}

namespace {

std::string QueryPath(const std::string& promql) {
  CURL* curl = curl_easy_init();
  char* escaped = curl_easy_escape(curl, promql.c_str(), static_cast<int>(promql.size()));
  std::string path = std::string("/api/v1/query?query=") + escaped;
  curl_free(escaped);
  curl_easy_cleanup(curl);
  return path;
}

}  // namespace

nlohmann::json PrometheusServer::Query(const std::string& promql) const { return Get(QueryPath(promql)); }

nlohmann::json PrometheusServer::QueryUntil(const std::string& promql,
                                            const std::function<bool(const nlohmann::json&)>& done,
                                            std::chrono::seconds deadline) const {
  return GetUntil(QueryPath(promql), done, deadline);
}

bool HasResult(const nlohmann::json& answer) {
  return answer.is_object() && answer.value("status", "") == "success" && answer.contains("data") &&
         !answer["data"]["result"].empty();
}

}  // namespace sloth::test
