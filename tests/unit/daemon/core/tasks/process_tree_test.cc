// /proc as the task runner reads it, against real processes.
#include "daemon/core/tasks/process_tree.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace sloth {
namespace {

// `sh -c SCRIPT` with `extra` in its environment, as a child of this process; killed and reaped
// at the end.
class Child {
 public:
  Child(const std::string& script, const std::string& extra) {
    int ready[2];
    if (::pipe(ready) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);  // its own group, which the destructor kills whole
      ::close(ready[0]);
      ::dup2(ready[1], 1);
      char* env[] = {const_cast<char*>(extra.c_str()), nullptr};
      ::execle("/bin/sh", "sh", "-c", script.c_str(), nullptr, env);
      ::_exit(127);
    }
    ::close(ready[1]);
    char byte;
    [[maybe_unused]] const ssize_t n = ::read(ready[0], &byte, 1);  // the script says it is ready
    ::close(ready[0]);
  }
  ~Child() {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

TEST(ProcessTree, StatOfThisProcess) {
  const auto stat = ReadProcessStat(::getpid());
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->ppid, ::getppid());
  EXPECT_EQ(stat->pgid, ::getpgrp());
  EXPECT_EQ(stat->state, 'R');
  EXPECT_GT(stat->start_ticks, 0u);
  EXPECT_FALSE(stat->exiting);
  EXPECT_NE(stat->env_start, 0u);
  EXPECT_FALSE(ReadProcessStat(0));
}

// A child that has exited and is not reaped yet: a zombie, and marked as exiting (PF_EXITING),
// which is how the task table tells a killed process on its way out from one to find by its id.
TEST(ProcessTree, AnExitedChildIsAZombieAndExiting) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);  // exited, not reaped
  const auto stat = ReadProcessStat(child);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->state, 'Z');
  EXPECT_TRUE(stat->exiting);
  EXPECT_EQ(stat->env_start, 0u);  // no memory image left, as in the middle of an exec
  ::waitpid(child, nullptr, 0);
}

TEST(ProcessTree, ChildrenDescendantsAndTheirTaskId) {
  // A child whose own child sleeps; "ready" once both run, and the sleep's exec is done: until
  // then its environment may be unreadable (its command line, set with it, tells).
  Child child(
      "sleep 100 & while [ \"$(tr '\\0' ' ' < /proc/$!/cmdline)\" != 'sleep 100 ' ]; do :; done; echo ready; wait",
      "SLOTH_TASK_ID=t-000001-abcd");
  ASSERT_GT(child.pid(), 0);
  const auto children = ChildrenOf(::getpid());
  EXPECT_NE(std::find(children.begin(), children.end(), child.pid()), children.end());
  const auto below = DescendantsOf(child.pid());
  ASSERT_EQ(below.size(), 1u);
  EXPECT_EQ(ReadProcessStat(below[0])->ppid, child.pid());
  EXPECT_EQ(TaskIdOf(child.pid()), "t-000001-abcd");
  EXPECT_EQ(TaskIdOf(below[0]), "t-000001-abcd");  // inherited
  EXPECT_EQ(TaskIdOf(::getpid()), std::string(std::getenv("SLOTH_TASK_ID") ? std::getenv("SLOTH_TASK_ID") : ""));
  const auto all = AllProcesses();
  EXPECT_NE(std::find(all.begin(), all.end(), below[0]), all.end());
}

}  // namespace
}  // namespace sloth
