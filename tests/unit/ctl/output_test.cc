#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include <gtest/gtest.h>

#include "ctl/output.h"

namespace sloth::ctl {
namespace {

class OutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

v1::ListTasksResponse SampleTasks() {
  v1::ListTasksResponse tasks;
  auto* running = tasks.add_tasks();
  running->set_id("t-3");
  running->set_name("build");
  running->set_group("ci");
  running->set_status(v1::TASK_STATUS_RUNNING);
  running->set_exit_code(-1);
  running->set_duration_seconds(75);
  running->set_start_time_unix_ms(1714564800000);  // 2024-05-01 12:00:00 UTC
  auto* killed = tasks.add_tasks();
  killed->set_id("t-2");
  killed->set_name("adhoc");
  killed->set_group("adhoc");
  killed->set_status(v1::TASK_STATUS_FAILED);
  killed->set_exit_code(-1);
  killed->set_signal(SIGKILL);
  killed->set_timed_out(true);
  killed->set_duration_seconds(5.0);
  killed->set_start_time_unix_ms(1714564790500);
  auto* ok = tasks.add_tasks();
  ok->set_id("t-1");
  ok->set_name("adhoc");
  ok->set_group("adhoc");
  ok->set_status(v1::TASK_STATUS_SUCCESS);
  ok->set_exit_code(0);
  ok->set_duration_seconds(0.0123);
  ok->set_start_time_unix_ms(1714564780000);
  ok->mutable_usage()->set_measured(true);
  ok->mutable_usage()->set_cpu_seconds(0.004);
  ok->mutable_usage()->set_memory_peak_bytes(3 << 20);
  return tasks;
}

TEST_F(OutputTest, TasksTableHasAlignedColumnsAndACount) {
  EXPECT_EQ(RenderTasksText(SampleTasks()),
            "ID   NAME   GROUP  STATUS   EXIT     DURATION  CPU  PEAK MEM  STARTED\n"
            "t-3  build  ci     running  -        1m15s     -    -         2024-05-01 12:00:00\n"
            "t-2  adhoc  adhoc  timeout  SIGKILL  5s        -    -         2024-05-01 11:59:50\n"
            "t-1  adhoc  adhoc  success  0        12ms      4ms  3.0 MiB   2024-05-01 11:59:40\n"
            "\n3 tasks listed.\n");
}

TEST_F(OutputTest, EmptyTasksTableStillHasItsHeader) {
  EXPECT_EQ(RenderTasksText(v1::ListTasksResponse()),
            "ID  NAME  GROUP  STATUS  EXIT  DURATION  CPU  PEAK MEM  STARTED\n\n0 tasks listed.\n");
}

TEST_F(OutputTest, TasksJsonKeepsNumbersTypedAndNullsWhatDoesNotApply) {
  const auto json = TasksJson(SampleTasks());
  ASSERT_EQ(json["tasks"].size(), 3u);
  const auto& running = json["tasks"][0];
  EXPECT_EQ(running["id"], "t-3");
  EXPECT_EQ(running["status"], "running");
  EXPECT_TRUE(running["exit_code"].is_null());
  EXPECT_TRUE(running["signal"].is_null());
  const auto& killed = json["tasks"][1];
  EXPECT_EQ(killed["status"], "timeout");
  EXPECT_EQ(killed["signal"], 9);
  EXPECT_EQ(killed["timed_out"], true);
  EXPECT_EQ(killed["started"], "2024-05-01T11:59:50.500Z");
  const auto& ok = json["tasks"][2];
  EXPECT_EQ(ok["exit_code"], 0);
  EXPECT_DOUBLE_EQ(ok["duration_seconds"].get<double>(), 0.0123);
  EXPECT_EQ(ok["start_time_unix_ms"], 1714564780000);
  EXPECT_DOUBLE_EQ(ok["cpu_seconds"].get<double>(), 0.004);
  EXPECT_EQ(ok["memory_peak_bytes"], 3 << 20);
  EXPECT_TRUE(running["cpu_seconds"].is_null());
}

TEST_F(OutputTest, DumpJsonReplacesInvalidUtf8InsteadOfThrowing) {
  v1::TaskResult task;
  task.set_kept_output(std::string("ok \xff\xfe"));
  EXPECT_NO_THROW(DumpJson(TaskJson(task)));
}

TEST(FormatSeconds, PicksAReadableUnit) {
  EXPECT_EQ(FormatSeconds(0), "0s");
  EXPECT_EQ(FormatSeconds(0.85), "850ms");
  EXPECT_EQ(FormatSeconds(1.5), "1.5s");
  EXPECT_EQ(FormatSeconds(59.0), "59s");
  EXPECT_EQ(FormatSeconds(123.4), "2m3s");
  EXPECT_EQ(FormatSeconds(3600), "1h");
}

TEST(ExitColumn, ShowsCodeSignalOrDash) {
  v1::TaskResult task;
  task.set_status(v1::TASK_STATUS_QUEUED);
  EXPECT_EQ(ExitColumn(task), "-");
  task.set_status(v1::TASK_STATUS_FAILED);
  task.set_exit_code(2);
  EXPECT_EQ(ExitColumn(task), "2");
  task.set_exit_code(-1);
  task.set_signal(SIGTERM);
  EXPECT_EQ(ExitColumn(task), "SIGTERM");
}

TEST(RenderHealthText, SaysWhyWhenUnhealthy) {
  v1::Health health;
  health.set_healthy(true);
  EXPECT_EQ(RenderHealthText(health), "healthy\n");
  health.set_healthy(false);
  health.set_reason("task queue full");
  EXPECT_EQ(RenderHealthText(health), "unhealthy: task queue full\n");
  EXPECT_EQ(HealthJson(health)["reason"], "task queue full");
}

TEST_F(OutputTest, InfoTextShowsTelemetryOffAndStandalone) {
  v1::AgentInfo info;
  info.set_name("build-01");
  info.set_version("0.1.0");
  const std::string text = RenderInfoText(info);
  EXPECT_NE(text.find("Name: build-01\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Metrics: off (telemetry disabled)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Master: none (standalone)\n"), std::string::npos) << text;
  EXPECT_EQ(InfoJson(info)["metrics_url"], "");
}

TEST(ParseOutputFormat, AcceptsTextAndJsonOnly) {
  EXPECT_EQ(ParseOutputFormat("text"), OutputFormat::kText);
  EXPECT_EQ(ParseOutputFormat("json"), OutputFormat::kJson);
  EXPECT_FALSE(ParseOutputFormat("yaml").has_value());
}

}  // namespace
}  // namespace sloth::ctl
