#include <signal.h>

#include <gtest/gtest.h>

#include "ctl/errors.h"
#include "ctl/task_exit.h"

namespace sloth::ctl {
namespace {

v1::TaskResult Finished(v1::TaskStatus status, int exit_code, int signal = 0) {
  v1::TaskResult result;
  result.set_id("t-1");
  result.set_status(status);
  result.set_exit_code(exit_code);
  result.set_signal(signal);
  return result;
}

TEST(TaskExitCode, SuccessIsZeroAndFailurePassesTheCodeThrough) {
  EXPECT_EQ(TaskExitCode(Finished(v1::TASK_STATUS_SUCCESS, 0)), 0);
  EXPECT_EQ(TaskExitCode(Finished(v1::TASK_STATUS_FAILED, 3)), 3);
  EXPECT_EQ(TaskExitCode(Finished(v1::TASK_STATUS_FAILED, 255)), 255);
}

TEST(TaskExitCode, SignalIs128PlusItsNumber) {
  EXPECT_EQ(TaskExitCode(Finished(v1::TASK_STATUS_FAILED, -1, SIGKILL)), 137);
  EXPECT_EQ(TaskExitCode(Finished(v1::TASK_STATUS_FAILED, -1, SIGTERM)), 143);
}

TEST(TaskExitCode, TimeoutIs124EvenThoughTheTaskWasKilled) {
  auto result = Finished(v1::TASK_STATUS_FAILED, -1, SIGKILL);
  result.set_timed_out(true);
  EXPECT_EQ(TaskExitCode(result), kExitTimeout);
}

TEST(TaskExitCode, NeverRanIsOne) {
  auto result = Finished(v1::TASK_STATUS_FAILED, -1);
  result.set_reason("workdir /nope: No such file or directory");
  EXPECT_EQ(TaskExitCode(result), 1);
}

TEST(TaskOutcomeMessage, TimeoutNamesTheTaskAndTheRequestedLimit) {
  auto result = Finished(v1::TASK_STATUS_FAILED, -1, SIGKILL);
  result.set_timed_out(true);
  result.set_duration_seconds(5.01);
  EXPECT_EQ(TaskOutcomeMessage(result, std::chrono::seconds(5)), "task t-1 timed out after 5s");
  // The agent's default limit: the measured duration stands in.
  EXPECT_EQ(TaskOutcomeMessage(result, Duration::zero()), "task t-1 timed out after 5s");
}

TEST(TaskOutcomeMessage, SignalIsNamed) {
  EXPECT_EQ(TaskOutcomeMessage(Finished(v1::TASK_STATUS_FAILED, -1, SIGKILL), Duration::zero()),
            "task t-1 was killed by signal 9 (SIGKILL)");
}

TEST(TaskOutcomeMessage, NormalExitsNeedNoMessage) {
  EXPECT_EQ(TaskOutcomeMessage(Finished(v1::TASK_STATUS_SUCCESS, 0), Duration::zero()), "");
  EXPECT_EQ(TaskOutcomeMessage(Finished(v1::TASK_STATUS_FAILED, 2), Duration::zero()), "");
}

TEST(TaskOutcomeMessage, AnExitTheAgentExplainsGivesItsReason) {
  auto oom = Finished(v1::TASK_STATUS_FAILED, 137);
  oom.set_reason("exit code 137: out of memory: the kernel's OOM killer killed a process of the task (memory_max=64M)");
  EXPECT_EQ(TaskOutcomeMessage(oom, Duration::zero()),
            "task t-1 failed: exit code 137: out of memory: the kernel's OOM killer killed a process of the task "
            "(memory_max=64M)");
  auto plain = Finished(v1::TASK_STATUS_FAILED, 2);
  plain.set_reason("exit code 2");
  EXPECT_EQ(TaskOutcomeMessage(plain, Duration::zero()), "");
}

TEST(TaskOutcomeMessage, NeverRanGivesTheReason) {
  auto result = Finished(v1::TASK_STATUS_FAILED, -1);
  result.set_reason("queue full");
  EXPECT_EQ(TaskOutcomeMessage(result, Duration::zero()), "task t-1 did not run: queue full");
}

}  // namespace
}  // namespace sloth::ctl
