#include "daemon/core/tasks/exec_report.h"

#include <gtest/gtest.h>

namespace sloth {
namespace {

TEST(ExecReport, ReadsEveryField) {
  auto r = ParseExecReport(
      "slothd-task-exec/1 exit=3 cpu_usec=1500000 cpu_from=cgroup mem_peak=4096 mem_from=rusage oom_kills=1 memory=1 "
      "cpu=0 pids=1\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->signal, 0);
  EXPECT_TRUE(r->usage.measured);
  EXPECT_DOUBLE_EQ(r->usage.cpu_seconds, 1.5);
  EXPECT_TRUE(r->cpu_whole_task);
  EXPECT_EQ(r->usage.memory_peak_bytes, 4096u);
  EXPECT_FALSE(r->usage.memory_peak_whole_task);
  EXPECT_EQ(r->usage.oom_kills, 1u);
  EXPECT_TRUE(r->memory_controller);
  EXPECT_FALSE(r->cpu_controller);
  EXPECT_TRUE(r->pids_controller);
  const LimitSupport support = SupportFromReport(*r);
  EXPECT_EQ(support.memory, "");
  EXPECT_EQ(support.cpu, "the task's cgroup has no cpu controller");
  EXPECT_EQ(support.tasks, "");
}

TEST(ExecReport, SignalAndSpawnFailure) {
  auto killed = ParseExecReport("slothd-task-exec/1 signal=9 cpu_usec=0 mem_peak=0");
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->signal, 9);
  EXPECT_EQ(killed->exit_code, -1);
  auto spawn = ParseExecReport("slothd-task-exec/1 spawn_errno=2\n");
  ASSERT_TRUE(spawn);
  EXPECT_EQ(spawn->spawn_errno, 2);
  EXPECT_FALSE(spawn->usage.measured);
}

TEST(ExecReport, AnythingElseIsNotAReport) {
  for (const char* bad : {"", "hello", "slothd-task-exec/2 exit=0", "slothd-task-exec/1 cpu_usec=5",
                          "slothd-task-exec/1 exit=300", "slothd-task-exec/1 signal=0", "slothd-task-exec/1 exit=x"}) {
    EXPECT_FALSE(ParseExecReport(bad)) << bad;
  }
  // Unknown fields are ignored: a newer helper may say more.
  EXPECT_TRUE(ParseExecReport("slothd-task-exec/1 exit=0 io_bytes=12 weird"));
}

}  // namespace
}  // namespace sloth
