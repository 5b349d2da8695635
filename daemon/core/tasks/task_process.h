#pragma once
// One task's process: `/bin/sh -c CMD` in its own process group (pgid = its pid), stdin from
// /dev/null, stdout and stderr on two pipes, no other descriptor inherited; supervised until the
// shell has exited, its group is gone and its output is drained, then reaped. With a
// TaskProcessTable, what left the group (setsid) is signalled and killed with it too.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/duration.h"
#include "common/unique_fd.h"
#include "daemon/core/tasks/task.h"
#include "daemon/core/tasks/task_process_table.h"
#include "daemon/core/tasks/task_starter.h"

namespace sloth {

// A task's environment as execve wants it: `envp` (NULL-terminated) points into the base array
// it was built from and into `owned` (the overrides). Movable, not copyable.
struct TaskEnvironment {
  TaskEnvironment() = default;
  TaskEnvironment(TaskEnvironment&&) = default;
  TaskEnvironment& operator=(TaskEnvironment&&) = default;
  TaskEnvironment(const TaskEnvironment&) = delete;
  TaskEnvironment& operator=(const TaskEnvironment&) = delete;
  std::vector<std::string> owned;
  std::vector<char*> envp;
};

// `base` (an environ-style, NULL-terminated array: Spawn passes DaemonUserEnvironment(), never
// the daemon's own environment) with `overrides` replacing or adding entries
// (the last override of a name wins). Drops the systemd plumbing addressed to the daemon itself
// (NOTIFY_SOCKET, LISTEN_*, WATCHDOG_*, JOURNAL_STREAM): a task must not be able to notify or
// adopt sockets as slothd. An override may still set them explicitly. Copies no base entry.
TaskEnvironment BuildTaskEnvironment(char* const* base, const EnvOverrides& overrides);

// Owned by the one thread that runs the task; not thread-safe.
class TaskProcess final : public RunningTask {
 public:
  // Starts the shell. On failure returns nullptr and sets *error to the errno value
  // (e.g. ENOENT for a workdir that does not exist). `address_space_max` (bytes, 0: none) becomes
  // the shell's RLIMIT_AS, inherited by what it starts.
  // With `table` (which must outlive the process), the task's environment carries `task_id`
  // (kTaskIdVariable) and every process of the task is found through the table.
  static std::unique_ptr<TaskProcess> Spawn(const std::string& command, const std::string& workdir,
                                            const EnvOverrides& env, int* error, uint64_t address_space_max = 0,
                                            TaskProcessTable* table = nullptr, std::string task_id = {});

  TaskProcess(const TaskProcess&) = delete;
  TaskProcess& operator=(const TaskProcess&) = delete;
  // Kills the group and reaps if Supervise did not run to the end (e.g. the sink threw).
  ~TaskProcess() override;

  // Passes output chunks to `on_chunk` as they arrive (on this thread) until the shell has exited
  // and the pipes are drained; enforces the deadline (SIGTERM to the group, SIGKILL after the
  // grace) and cancellation; makes `notice`'s call if the shell is still running at its time;
  // reaps, with the shell's resource usage. Call once.
  ProcessExit Supervise(const SupervisionLimits& limits, const ChunkSink& on_chunk,
                        const TaskNotice& notice = {}) override;

  pid_t pid() const { return pid_; }
  RunningTaskRecord Record() const override;

 private:
  TaskProcess(pid_t pid, UniqueFd pidfd, UniqueFd out, UniqueFd err, UniqueFd out_write, UniqueFd err_write);
  // `sig` to the task's process group and, with a table, to every other process of the task.
  void SignalTask(int sig) const;
  void Reap(ProcessExit* exit);

  pid_t pid_;
  UniqueFd pidfd_;
  UniqueFd out_;
  UniqueFd err_;
  // Our copies of the pipes' write ends, held until the shell has exited: the pipes reach EOF
  // only then, so the shell's exit wakes the supervisor once (its pidfd), not twice.
  UniqueFd out_write_;
  UniqueFd err_write_;
  bool reaped_ = false;
  TaskProcessTable* table_ = nullptr;
  std::string task_id_;
  uint64_t start_ticks_ = 0;
};

}  // namespace sloth
