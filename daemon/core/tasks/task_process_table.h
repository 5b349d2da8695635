#pragma once
// Every process of every process-mode task, also those that left it (doc/RELIABILITY.md, defect 5).
// A task's shell runs in its own process group, but `setsid cmd &` or a double fork leaves both the
// group and the shell's tree. So this process becomes a child subreaper: an orphan below it comes
// to it instead of to init, and is found among the children of its main thread (the kernel hands
// orphans to a subreaper's first live thread; slothd's main thread starts no task). Each task's
// environment carries its id (kTaskIdVariable), which tells whose orphan it is. A process that both
// clears its environment and leaves its task is not told apart: it is left alone, not killed on a
// guess (unit mode's cgroup catches it). Thread-safe.
#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sloth {

class TaskProcessTable {
 public:
  // Makes this process a child subreaper (PR_SET_CHILD_SUBREAPER; it stays one).
  TaskProcessTable();
  TaskProcessTable(const TaskProcessTable&) = delete;
  TaskProcessTable& operator=(const TaskProcessTable&) = delete;

  // Held from before a shell is cloned until ShellStarted: no orphan sweep may reap a child that
  // is a shell not yet entered (its follower waits for it).
  std::shared_lock<std::shared_mutex> SpawnGuard() { return std::shared_lock(reap_mutex_); }
  void ShellStarted(pid_t pid);
  // Once the shell is reaped (its pid may be reused from then on).
  void ShellReaped(pid_t pid);

  // Sends `sig` to every process of task `task_id` but its shell (which its process group, also
  // signalled, holds): the shell's descendants, and the orphans that carry the task's id with
  // their descendants. Returns how many processes it signalled.
  size_t SignalTask(std::string_view task_id, pid_t shell, int sig);
  // After the task's shell has exited: SIGKILLs what is left of the task (its orphans and theirs)
  // until nothing is, and reaps what came to us; also reaps any other orphan that has exited.
  // `group` is the task's process group (its shell's pid): its members are the task's even before
  // their environment can be read. Returns how many processes it killed.
  size_t KillLeftovers(std::string_view task_id, pid_t group);

 private:
  struct Orphans {
    std::vector<pid_t> found;  // with their descendants
    bool in_exec = false;      // a child that cannot be told apart yet: its exec is under way
  };
  // The orphans (this process's children that are no shell) carrying `task_id` or in `group`, with
  // their descendants; orphans that have exited are reaped on the way.
  Orphans OrphansOf(std::string_view task_id, pid_t group = 0);
  bool IsShell(pid_t pid) const;
  // Waits (a round at most) for the children that are exiting to be zombies, and reaps them with
  // every other exited orphan.
  void ReapDying();

  const pid_t self_;
  std::shared_mutex reap_mutex_;  // shared: spawning a shell; exclusive: reaping orphans
  mutable std::mutex mutex_;      // guards shells_
  std::set<pid_t> shells_;
};

}  // namespace sloth
