// Process mode's users, limits and accounting, through the runner with real processes.
#include "daemon/core/tasks/process_starter.h"

#include <gtest/gtest.h>

#include "daemon/core/tasks/task_runner.h"
#include "tests/unit/daemon/core/tasks/run_to_end.h"

namespace sloth {
namespace {

class ProcessStarterTest : public ::testing::Test {
 protected:
  TaskRunner& MakeRunner(TaskRunner::Options options = {}) {
    runner_ = std::make_unique<TaskRunner>(std::move(options), telemetry_, log_);
    return *runner_;
  }
  Logger log_{std::make_unique<ConsoleLogSink>(stderr)};
  Telemetry telemetry_{CurrentBuildIdentity("test"), {}};
  std::unique_ptr<TaskRunner> runner_;
};

TEST_F(ProcessStarterTest, TasksRunAsTheAgentsOwnUserAndAnotherIsRefused) {
  TaskRunner::Options options;
  options.allowed_users = {"nobody"};
  TaskRunner& runner = MakeRunner(options);
  const TaskResult r = RunToEnd(runner, Shell("id -un"));
  EXPECT_EQ(r.kept_output, CurrentUserName() + "\n");
  EXPECT_EQ(r.user, CurrentUserName());
  EXPECT_EQ(r.unit, "");
  TaskSpec as_nobody = Shell("true");
  as_nobody.user = "nobody";
  const TaskResult refused = RunToEnd(runner, as_nobody);
  EXPECT_EQ(refused.status, TaskStatus::kFailed);
  EXPECT_NE(refused.reason.find("cannot run a task as user \"nobody\": this agent runs tasks as its own processes "
                                "(process mode)"),
            std::string::npos)
      << refused.reason;
}

TEST_F(ProcessStarterTest, MemoryMaxIsTheShellsAddressSpaceLimit) {
  TaskRunner::Options options;
  options.default_limits.memory_max = uint64_t{64} << 20;
  TaskRunner& runner = MakeRunner(options);
  const TaskResult r = RunToEnd(runner, Shell("ulimit -v"));  // KiB
  EXPECT_EQ(r.kept_output, "65536\n");
  EXPECT_EQ(r.limits_not_enforced, "");
  EXPECT_EQ(RunToEnd(runner, Shell("ulimit -v")).kept_output, "65536\n");
  TaskSpec lifted = Shell("ulimit -v");
  lifted.limits.memory_max = kNoLimit;
  EXPECT_EQ(RunToEnd(runner, lifted).kept_output, "unlimited\n");
}

TEST_F(ProcessStarterTest, CpuQuotaAndTasksMaxNeedAUnitAndSaySo) {
  TaskRunner::Options options;
  options.default_limits.cpu_quota = 50;
  options.default_limits.tasks_max = 10;
  TaskRunner& runner = MakeRunner(options);
  const TaskResult r = RunToEnd(runner, Shell("true"));
  EXPECT_EQ(r.status, TaskStatus::kSuccess);
  EXPECT_EQ(r.limits_not_enforced,
            "cpu_quota=50% not enforced: process mode: tasks are the agent's own processes, only a unit can limit "
            "their CPU; tasks_max=10 not enforced: process mode: tasks are the agent's own processes, only a unit can "
            "limit their number");
}

TEST_F(ProcessStarterTest, CpuAndPeakMemoryAreMeasuredAndExported) {
  TaskRunner& runner = MakeRunner();
  TaskSpec spec = Shell("i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done");
  spec.name = "burn";
  spec.group = "cpu";
  const TaskResult r = RunToEnd(runner, spec);
  ASSERT_EQ(r.status, TaskStatus::kSuccess) << r.reason;
  EXPECT_TRUE(r.usage.measured);
  EXPECT_GT(r.usage.cpu_seconds, 0.0);
  EXPECT_GT(r.usage.memory_peak_bytes, uint64_t{100} << 10);  // a shell is at least this big
  EXPECT_FALSE(r.usage.memory_peak_whole_task);
  const std::string metrics = telemetry_.ExpositionText();
  EXPECT_NE(metrics.find("sloth_task_cpu_seconds_total{group=\"cpu\",task=\"burn\"} "), std::string::npos);
  EXPECT_NE(metrics.find("sloth_task_memory_peak_bytes_count{group=\"cpu\",task=\"burn\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace sloth
