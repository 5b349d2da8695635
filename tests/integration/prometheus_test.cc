// slothd against the real Prometheus toolchain (Debian package `prometheus`): promtool lints the
// scrape, and a Prometheus server scrapes the agent and answers queries about it.
#include <functional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"
#include "tests/integration/prometheus_server.h"

using namespace sloth::test;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

TEST(Prometheus, PromtoolCheckMetricsAcceptsTheScrape) {
  Slothd agent;
  TempDir dir;
  const std::string file = dir.File("scrape.txt");
  WriteFile(file, HttpRequest(agent.metrics_url()).body);
  std::string out;
  EXPECT_EQ(RunCommand("promtool check metrics < " + file, &out), 0) << out;
  // The gzip'd variant: curl must decode it whole (one gzip member), and promtool accept it.
  EXPECT_EQ(RunCommand("curl -sf --compressed -o " + dir.File("gz.txt") + " " + agent.metrics_url(), &out), 0) << out;
  EXPECT_EQ(RunCommand("promtool check metrics < " + dir.File("gz.txt"), &out), 0) << out;
  EXPECT_EQ(RunCommand("grep -c '^# TYPE ' " + dir.File("gz.txt"), &out), 0);
  EXPECT_EQ(std::stoi(out), 23) << "every catalog family, decoded from gzip";
}

TEST(Prometheus, ServerScrapesTheAgentUpAndUptime) {
  Slothd agent({"--name", "prom-agent"});
  const std::string target = agent.base_url().substr(std::string("http://").size());
  PrometheusServer prometheus({target}, "slothd");
  auto up = prometheus.QueryUntil(
      "up{job=\"slothd\"}",
      [](const nlohmann::json& j) { return HasResult(j) && j["data"]["result"][0]["value"][1] == "1"; }, 60s);
  ASSERT_TRUE(HasResult(up)) << up.dump() << "\n" << prometheus.Output();
  EXPECT_EQ(up["data"]["result"][0]["value"][1], "1");

  auto uptime = prometheus.QueryUntil("sloth_agent_uptime_seconds", HasResult, 30s);
  ASSERT_TRUE(HasResult(uptime)) << uptime.dump();
  EXPECT_GT(std::stod(uptime["data"]["result"][0]["value"][1].get<std::string>()), 0.0);

  // The scrape came in gzip'd (Prometheus always asks for it) and was read whole.
  auto families = prometheus.QueryUntil("count({job=\"slothd\",__name__=~\"sloth_.*|process_.*\"})", HasResult, 30s);
  ASSERT_TRUE(HasResult(families));
  EXPECT_GE(std::stoi(families["data"]["result"][0]["value"][1].get<std::string>()), 20);
  auto info = prometheus.QueryUntil("sloth_agent_info", HasResult, 30s);
  ASSERT_TRUE(HasResult(info));
  EXPECT_EQ(info["data"]["result"][0]["metric"]["os"], "linux");
}
