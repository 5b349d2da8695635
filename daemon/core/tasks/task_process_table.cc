#include "daemon/core/tasks/task_process_table.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>

#include "common/unique_fd.h"
#include "daemon/core/tasks/process_tree.h"

namespace sloth {
namespace {

// Rounds of KillLeftovers: each kills what it finds, whose children then come to us for the next.
constexpr int kMaxKillRounds = 16;
// How long a round waits for what it killed to be gone (SIGKILL: at once, unless in the kernel).
constexpr auto kRoundWait = std::chrono::seconds(1);
// How long apart, and for how long at most, KillLeftovers looks again at an orphan whose exec is
// under way (there is no event for an exec's end; it takes microseconds unless preempted).
constexpr auto kExecPoll = std::chrono::milliseconds(1);
constexpr auto kExecWaitLimit = std::chrono::milliseconds(100);

// Waits until the process behind `pidfd` has exited (a zombie) or `deadline` passes; false then.
bool WaitExited(const UniqueFd& pidfd, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  pollfd p{pidfd.get(), POLLIN, 0};
  return left.count() > 0 && ::poll(&p, 1, static_cast<int>(left.count())) > 0;
}

}  // namespace

TaskProcessTable::TaskProcessTable() : self_(::getpid()) { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }

void TaskProcessTable::ShellStarted(pid_t pid) {
  std::lock_guard lock(mutex_);
  shells_.insert(pid);
}

void TaskProcessTable::ShellReaped(pid_t pid) {
  std::lock_guard lock(mutex_);
  shells_.erase(pid);
}

bool TaskProcessTable::IsShell(pid_t pid) const {
  std::lock_guard lock(mutex_);
  return shells_.contains(pid);
}

TaskProcessTable::Orphans TaskProcessTable::OrphansOf(std::string_view task_id, pid_t group) {
  Orphans orphans;
  std::vector<pid_t> exited;
  for (pid_t child : ChildrenOfThread(self_, self_)) {
    if (IsShell(child)) continue;
    const auto stat = ReadProcessStat(child);
    if (!stat) continue;
    if (stat->state == 'Z') {
      exited.push_back(child);
      continue;
    }
    const bool in_group = group > 0 && stat->pgid == group;
    const std::string id = in_group || task_id.empty() ? std::string() : TaskIdOf(child);
    if (in_group || (!id.empty() && id == task_id)) {
      orphans.found.push_back(child);
      const auto below = DescendantsOf(child);
      orphans.found.insert(orphans.found.end(), below.begin(), below.end());
    } else if (!task_id.empty() && id.empty() && !stat->exiting) {
      // No id: none in its environment, or an exec under way when it was read. The latter shows
      // as no environment yet, or as a new one since the first look.
      const auto again = ReadProcessStat(child);
      orphans.in_exec |= again && !again->exiting && (again->env_start == 0 || again->env_start != stat->env_start);
    }
  }
  if (!exited.empty()) {
    std::unique_lock lock(reap_mutex_);  // no shell is being entered meanwhile
    for (pid_t pid : exited) {
      if (!IsShell(pid)) ::waitpid(pid, nullptr, WNOHANG);
    }
  }
  return orphans;
}

size_t TaskProcessTable::SignalTask(std::string_view task_id, pid_t shell, int sig) {
  std::vector<pid_t> targets = DescendantsOf(shell);
  const auto orphans = OrphansOf(task_id).found;
  targets.insert(targets.end(), orphans.begin(), orphans.end());
  for (pid_t pid : targets) ::kill(pid, sig);
  return targets.size();
}

size_t TaskProcessTable::KillLeftovers(std::string_view task_id, pid_t group) {
  size_t killed = 0;
  std::optional<std::chrono::steady_clock::time_point> exec_deadline;
  for (int round = 0; round < kMaxKillRounds;) {
    const auto [targets, in_exec] = OrphansOf(task_id, group);
    if (targets.empty()) {
      // An orphan mid-exec (`setsid cmd &` as its shell exits) shows its task id in a moment.
      if (!in_exec) break;
      const auto now = std::chrono::steady_clock::now();
      if (!exec_deadline) exec_deadline = now + kExecWaitLimit;
      if (now >= *exec_deadline) break;
      std::this_thread::sleep_for(kExecPoll);
      continue;
    }
    ++round;
    std::vector<UniqueFd> gone;
    gone.reserve(targets.size());
    for (pid_t pid : targets) {
      UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
      if (::kill(pid, SIGKILL) == 0) ++killed;
      if (pidfd) gone.push_back(std::move(pidfd));
    }
    const auto deadline = std::chrono::steady_clock::now() + kRoundWait;
    for (const UniqueFd& pidfd : gone) {
      if (!WaitExited(pidfd, deadline)) break;
    }
  }
  ReapDying();
  return killed;
}

// What was killed just before (the task's group, SignalTask, the last round) may still be on its
// way out: no longer readable for its task id, not yet a zombie to reap. Without this wait it
// stayed a zombie child of slothd (<defunct>) until the next task's sweep.
void TaskProcessTable::ReapDying() {
  const auto deadline = std::chrono::steady_clock::now() + kRoundWait;
  for (pid_t child : ChildrenOfThread(self_, self_)) {
    if (IsShell(child)) continue;
    const auto stat = ReadProcessStat(child);
    if (!stat || !stat->exiting || stat->state == 'Z') continue;
    const UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));
    if (pidfd) WaitExited(pidfd, deadline);
  }
  (void)OrphansOf({});  // reaps the exited ones (finds nothing: no id, no group)
}

}  // namespace sloth
