#pragma once
// A real Prometheus server (Debian package `prometheus`) for tests: scrapes the given targets
// every second under one job, on a free loopback port, with its data in a private temp dir.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"

namespace sloth::test {

class PrometheusServer {
 public:
  // `targets`: "host:port" each.
  PrometheusServer(const std::vector<std::string>& targets, const std::string& job);
  // `scrape_configs`: the YAML list under scrape_configs: (indented by two spaces);
  // `flags`: more command-line flags (e.g. "--enable-feature=exemplar-storage").
  PrometheusServer(const std::string& scrape_configs, const std::vector<std::string>& flags);

  const std::string& api() const { return api_; }  // "http://127.0.0.1:PORT"
  std::string Output() { return process_->Output(); }

  // One instant query; the parsed answer (discarded JSON on a transport error).
  nlohmann::json Query(const std::string& promql) const;
  // GET api() + `path_and_query` (e.g. "/api/v1/targets"), parsed.
  nlohmann::json Get(const std::string& path_and_query) const;
  // Prometheus has no push signal for "scraped": polls the query until `done` accepts the
  // answer or the deadline passes; returns the last answer.
  nlohmann::json QueryUntil(const std::string& promql, const std::function<bool(const nlohmann::json&)>& done,
                            std::chrono::seconds deadline) const;
  // The same polling for any API path.
  nlohmann::json GetUntil(const std::string& path_and_query, const std::function<bool(const nlohmann::json&)>& done,
                          std::chrono::seconds deadline) const;

 private:
  void Start(const std::string& scrape_configs, const std::vector<std::string>& flags);

  TempDir dir_;
  std::string api_;
  std::unique_ptr<ChildProcess> process_;
};

// The answer is a success with at least one series.
bool HasResult(const nlohmann::json& answer);

}  // namespace sloth::test
