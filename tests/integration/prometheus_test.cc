// slothd against the real Prometheus toolchain (Debian package `prometheus`): promtool lints the
// scrape, and a Prometheus server scrapes the agent and answers queries about it.
#include <curl/curl.h>

#include <functional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"

using namespace sloth::test;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

// Prometheus has no push signal for "scraped": poll its query API until `done` or the deadline.
nlohmann::json QueryUntil(const std::string& api, const std::string& query,
                          const std::function<bool(const nlohmann::json&)>& done, std::chrono::seconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  nlohmann::json last;
  CURL* curl = curl_easy_init();
  char* escaped = curl_easy_escape(curl, query.c_str(), static_cast<int>(query.size()));
  const std::string url = api + "/api/v1/query?query=" + escaped;
  curl_free(escaped);
  curl_easy_cleanup(curl);
  while (std::chrono::steady_clock::now() < until) {
    auto r = HttpRequest(url);
    if (r.status == 200) {
      last = nlohmann::json::parse(r.body, nullptr, false);
      if (!last.is_discarded() && done(last)) return last;
    }
    std::this_thread::sleep_for(200ms);
  }
  return last;
}

bool HasResult(const nlohmann::json& j) {
  return j.contains("data") && j["data"].contains("result") && !j["data"]["result"].empty();
}

}  // namespace

TEST(Prometheus, PromtoolCheckMetricsAcceptsTheScrape) {
  Slothd agent;
  TempDir dir;
  const std::string file = dir.File("scrape.txt");
  WriteFile(file, HttpRequest(agent.metrics_url()).body);
  std::string out;
  EXPECT_EQ(RunCommand("promtool check metrics < " + file, &out), 0) << out;
  // The gzip'd variant: curl must decode it whole (one gzip member), and promtool accept it.
  EXPECT_EQ(RunCommand("curl -sf --compressed -o " + dir.File("gz.txt") + " " + agent.metrics_url(), &out), 0)
      << out;
  EXPECT_EQ(RunCommand("promtool check metrics < " + dir.File("gz.txt"), &out), 0) << out;
  EXPECT_EQ(RunCommand("grep -c '^# TYPE ' " + dir.File("gz.txt"), &out), 0);
  EXPECT_EQ(std::stoi(out), 21) << "every catalog family, decoded from gzip";
}

TEST(Prometheus, ServerScrapesTheAgentUpAndUptime) {
  Slothd agent({"--name", "prom-agent"});
  TempDir dir;
  const uint16_t port = FreePort();
  const std::string target = agent.base_url().substr(std::string("http://").size());
  WriteFile(dir.File("prometheus.yml"),
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "scrape_configs:\n  - job_name: slothd\n    static_configs:\n      - targets: ['" + target + "']\n");
  ChildProcess prometheus("/usr/bin/prometheus",
                          {"--config.file=" + dir.File("prometheus.yml"), "--storage.tsdb.path=" + dir.File("data"),
                           "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"});
  const std::string api = "http://127.0.0.1:" + std::to_string(port);

  auto up = QueryUntil(api, "up{job=\"slothd\"}", [](const nlohmann::json& j) {
    return HasResult(j) && j["data"]["result"][0]["value"][1] == "1";
  }, 60s);
  ASSERT_TRUE(HasResult(up)) << up.dump() << "\n" << prometheus.Output();
  EXPECT_EQ(up["data"]["result"][0]["value"][1], "1");

  auto uptime = QueryUntil(api, "sloth_agent_uptime_seconds", HasResult, 30s);
  ASSERT_TRUE(HasResult(uptime)) << uptime.dump();
  EXPECT_GT(std::stod(uptime["data"]["result"][0]["value"][1].get<std::string>()), 0.0);

  // The scrape came in gzip'd (Prometheus always asks for it) and was read whole.
  auto families = QueryUntil(api, "count({job=\"slothd\",__name__=~\"sloth_.*|process_.*\"})", HasResult, 30s);
  ASSERT_TRUE(HasResult(families));
  EXPECT_GE(std::stoi(families["data"]["result"][0]["value"][1].get<std::string>()), 20);
  auto info = QueryUntil(api, "sloth_agent_info", HasResult, 30s);
  ASSERT_TRUE(HasResult(info));
  EXPECT_EQ(info["data"]["result"][0]["metric"]["os"], "linux");
}
