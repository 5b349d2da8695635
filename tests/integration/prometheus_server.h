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
  // With `scrape_configs`, the YAML list under scrape_configs: (indented two spaces), as given.
  explicit PrometheusServer(const std::string& scrape_configs);

  const std::string& api() const { return api_; }  // "http://127.0.0.1:PORT"
  std::string Output() { return process_->Output(); }

  // One instant query; the parsed answer (discarded JSON on a transport error).
  nlohmann::json Query(const std::string& promql) const;
  // Prometheus has no push signal for "scraped": polls the query until `done` accepts the
  // answer or the deadline passes; returns the last answer.
  nlohmann::json QueryUntil(const std::string& promql, const std::function<bool(const nlohmann::json&)>& done,
                            std::chrono::seconds deadline) const;

 private:
  void Start(const std::string& scrape_configs);
  TempDir dir_;
  std::string api_;
  std::unique_ptr<ChildProcess> process_;
};

// The answer is a success with at least one series.
bool HasResult(const nlohmann::json& answer);

}  // namespace sloth::test
