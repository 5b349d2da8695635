#include "daemon/core/agent_info.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

TEST(AgentInfoJson, HasEveryDocumentedField) {
  sloth::AgentInfo info;
  info.identity = sloth::CurrentBuildIdentity("my-agent");
  info.pid = 42;
  info.start_time = std::chrono::system_clock::time_point(std::chrono::seconds(1795587542));
  info.uptime_seconds = 12.5;
  info.metrics_url = "http://127.0.0.1:9090/metrics";
  info.control_socket = "/run/slothd/slothd.sock";
  auto j = nlohmann::json::parse(sloth::AgentInfoJson(info));
  EXPECT_EQ(j["name"], "my-agent");
  EXPECT_EQ(j["pid"], 42);
  EXPECT_EQ(j["start_time"], "2026-11-25T06:19:02.000Z");
  EXPECT_EQ(j["uptime_seconds"], 12.5);
  EXPECT_TRUE(j["master"].is_null());
  EXPECT_EQ(j["metrics_url"], "http://127.0.0.1:9090/metrics");
  EXPECT_EQ(j["control_socket"], "/run/slothd/slothd.sock");
  for (const char* key : {"version", "commit", "compiler", "os", "arch", "start_time_seconds"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["os"], "linux");
}

TEST(AgentInfoJson, SaysWhereTasksRunAndWhichLimitsAreNotEnforced) {
  sloth::AgentInfo info;
  info.task_isolation = "unit";
  info.task_user = "root";
  info.task_limits.memory = "no memory controller for task units";
  auto j = nlohmann::json::parse(sloth::AgentInfoJson(info));
  EXPECT_EQ(j["tasks"]["isolation"], "unit");
  EXPECT_EQ(j["tasks"]["user"], "root");
  EXPECT_EQ(j["tasks"]["limits"]["memory_max"], "not enforced: no memory controller for task units");
  EXPECT_EQ(j["tasks"]["limits"]["cpu_quota"], "enforced");
  EXPECT_EQ(j["tasks"]["limits"]["tasks_max"], "enforced");
}
