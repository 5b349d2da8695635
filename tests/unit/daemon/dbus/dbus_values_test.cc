// The D-Bus front end's translations (dbus_values.h), without a bus.
#include "daemon/dbus/dbus_values.h"

#include <gtest/gtest.h>

namespace sloth {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

TEST(ValidUtf8, KeepsValidTextWhole) {
  EXPECT_EQ(ValidUtf8("deploy"), "deploy");
  EXPECT_EQ(ValidUtf8("café 🦥"), "café 🦥");
}

TEST(ValidUtf8, ReplacesEachBadByteAndNul) {
  EXPECT_EQ(ValidUtf8("a\xFF"
                      "b"),
            "a" + kReplacement + "b");
  EXPECT_EQ(ValidUtf8(std::string("a\0b", 3)), "a" + kReplacement + "b");
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), kReplacement + kReplacement) << "overlong '/'";
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement) << "a surrogate";
  EXPECT_EQ(ValidUtf8("\xE2\x82"), kReplacement + kReplacement) << "cut short";
}

TEST(ToDbus, TaskHasEveryDocumentedKeyAndOutputAsBytes) {
  TaskResult r;
  r.id = "t-000001-0001";
  r.status = TaskStatus::kSuccess;
  r.exit_code = 0;
  r.kept_output = "hi\xFF";
  const auto d = ToDbus(r);
  for (const char* key : {"id",
                          "name",
                          "group",
                          "command",
                          "status",
                          "exit_code",
                          "signal",
                          "timed_out",
                          "cancelled",
                          "reason",
                          "duration_seconds",
                          "start_time_unix_ms",
                          "end_time_unix_ms",
                          "output_truncated",
                          "output_bytes",
                          "output",
                          "user",
                          "unit",
                          "usage_measured",
                          "cpu_seconds",
                          "memory_peak_bytes",
                          "memory_peak_whole_task",
                          "limits_not_enforced",
                          "workflow",
                          "run_id"}) {
    EXPECT_EQ(d.count(key), 1u) << key;
  }
  EXPECT_EQ(d.at("status").get<std::string>(), "success");
  const auto output = d.at("output").get<std::vector<uint8_t>>();
  EXPECT_EQ(std::string(output.begin(), output.end()), "hi\xFF") << "output stays bytes";
}

TEST(ToDbus, AListTasksExEntryHasEveryKeyButTheOutput) {
  TaskResult r;
  r.usage = TaskUsage{true, 0.25, 4096, false, 0};
  const auto d = ToDbusWithoutOutput(r);
  EXPECT_EQ(d.count("output"), 0u);
  EXPECT_DOUBLE_EQ(d.at("cpu_seconds").get<double>(), 0.25);
  EXPECT_EQ(d.at("memory_peak_bytes").get<uint64_t>(), 4096u);
}

TEST(ToDbus, AWorkflowTaskCarriesItsWorkflowAndRun) {
  TaskResult r;
  r.workflow = "deploy";
  r.run_id = "w-000001-abcd";
  const auto d = ToDbusWithoutOutput(r);
  EXPECT_EQ(d.at("workflow").get<std::string>(), "deploy");
  EXPECT_EQ(d.at("run_id").get<std::string>(), "w-000001-abcd");
}

TEST(TaskSpecFromOptions, TakesTheUserAndTheLimitsAsStringsAndRefusesTheRest) {
  auto spec = TaskSpecFromOptions(TaskSpec{}, {{"user", sdbus::Variant(std::string("nobody"))},
                                               {"memory_max", sdbus::Variant(std::string("1G"))},
                                               {"tasks_max", sdbus::Variant(std::string("max"))}});
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->user, "nobody");
  EXPECT_EQ(spec->limits.memory_max, uint64_t{1} << 30);
  EXPECT_EQ(spec->limits.tasks_max, kNoLimit);
  EXPECT_EQ(spec->limits.cpu_quota, std::nullopt);
  EXPECT_EQ(TaskSpecFromOptions(TaskSpec{}, {{"nice", sdbus::Variant(std::string("5"))}}).error().message,
            "unknown option \"nice\" (allowed: user, memory_max, cpu_quota, tasks_max)");
  EXPECT_EQ(TaskSpecFromOptions(TaskSpec{}, {{"tasks_max", sdbus::Variant(uint64_t{5})}}).error().message,
            "option \"tasks_max\" must be a string (s)");
  EXPECT_EQ(TaskSpecFromOptions(TaskSpec{}, {{"cpu_quota", sdbus::Variant(std::string("fast"))}})
                .error()
                .message.substr(0, 11),
            "cpu_quota: ");
}

TEST(ToDbus, AgentInfoSaysWhereTasksRun) {
  AgentInfo info;
  info.task_isolation = "process";
  info.task_user = "slothd";
  info.task_limits.cpu = "process mode";
  const auto d = ToDbus(info);
  EXPECT_EQ(d.at("task_isolation").get<std::string>(), "process");
  EXPECT_EQ(d.at("task_user").get<std::string>(), "slothd");
  EXPECT_EQ(d.at("cpu_quota_not_enforced").get<std::string>(), "process mode");
  EXPECT_EQ(d.at("memory_max_not_enforced").get<std::string>(), "");
}

TEST(ToRow, ListEntryInTheInterfaceOrder) {
  TaskResult r;
  r.id = "t-000002-0002";
  r.name = "n";
  r.group = "g";
  r.status = TaskStatus::kFailed;
  r.reason = "exit code 3";
  r.exit_code = 3;
  const TaskRow row = ToRow(r);
  EXPECT_EQ(row.get<0>(), "t-000002-0002");
  EXPECT_EQ(row.get<3>(), "failed");
  EXPECT_EQ(row.get<4>(), "exit code 3");
  EXPECT_EQ(row.get<5>(), 3);
}

// What GetWorkflowRun returns, and the same without tasks for ListWorkflowRuns.
TEST(ToDbus, WorkflowRunHasItsCountsGroupsAndTasksWithTheirLatestAttempt) {
  WorkflowRunResult run;
  run.id = "w-000001-abcd";
  run.workflow = "deploy";
  run.source = "deploy.toml";
  run.status = TaskStatus::kFailed;
  run.reason = "app.test failed";
  run.counts.failed = 1;
  run.counts.skipped = 1;
  run.groups.push_back({"app", TaskStatus::kFailed, std::chrono::milliseconds(1500)});
  WorkflowRunTask test;
  test.group = "app";
  test.name = "test";
  test.depends_on = {"app.build"};
  test.status = TaskStatus::kFailed;
  test.attempts = 2;
  test.reason = "exit code 3";
  test.last.id = "t-000002-abcd";
  test.last.exit_code = 3;
  test.last.kept_output = "boom\n";
  WorkflowRunTask skipped;
  skipped.group = "app";
  skipped.name = "ship";
  skipped.status = TaskStatus::kSkipped;
  skipped.reason = "dependency app.test failed";
  run.tasks = {test, skipped};
  const auto d = ToDbus(run);
  EXPECT_EQ(d.at("status").get<std::string>(), "failed");
  EXPECT_EQ(d.at("reason").get<std::string>(), "app.test failed");
  EXPECT_EQ(d.at("tasks_failed").get<uint32_t>(), 1u);
  const auto groups = d.at("groups").get<std::vector<std::map<std::string, sdbus::Variant>>>();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].at("duration_seconds").get<double>(), 1.5);
  const auto tasks = d.at("tasks").get<std::vector<std::map<std::string, sdbus::Variant>>>();
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].at("depends_on").get<std::vector<std::string>>(), std::vector<std::string>{"app.build"});
  EXPECT_EQ(tasks[0].at("attempts").get<uint32_t>(), 2u);
  const auto last = tasks[0].at("task").get<std::map<std::string, sdbus::Variant>>();
  EXPECT_EQ(last.at("exit_code").get<int32_t>(), 3);
  const auto output = last.at("output").get<std::vector<uint8_t>>();
  EXPECT_EQ(std::string(output.begin(), output.end()), "boom\n");
  EXPECT_EQ(tasks[1].count("task"), 0u);  // it never ran
  run.tasks.clear();
  EXPECT_EQ(ToDbus(run).count("tasks"), 0u);
}

}  // namespace
}  // namespace sloth
