#pragma once
// Where a task runs (DESIGN §3 "Tasks"): the narrow interface between the runner, which admits,
// queues, times and records tasks, and the two places a task can run: the daemon's own child
// process (process mode: ProcessStarter, task_process.h) or a transient systemd unit (unit mode:
// UnitStarter, unit_starter.h). The runner calls Start on the thread that will follow the task
// and then Supervise on the same thread.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/duration.h"
#include "common/result.h"
#include "daemon/core/tasks/supervision.h"
#include "daemon/core/tasks/task.h"
#include "daemon/core/tasks/task_limits.h"

namespace sloth {

// How a task ended, as the place it ran saw it.
struct ProcessExit {
  int exit_code = -1;  // -1 unless the shell exited normally
  int signal = 0;      // the signal that killed the shell, else 0
  bool timed_out = false;
  bool cancelled = false;
  TaskUsage usage;
  // Set when the end needs more words than the exit status: "out of memory: ...", "spawn failed:
  // ...". The runner then reports the task as failed with this reason.
  std::string failure;
  // What was enforced on this task, when the place it ran could tell; else the starter's support().
  std::optional<LimitSupport> support;
};

// Where a running task is, as the journal keeps it for a slothd that restarts after a crash
// (task_journal.h).
struct RunningTaskRecord {
  pid_t pid = 0;             // process mode: the shell
  uint64_t start_ticks = 0;  // process mode: /proc/PID/stat field 22 of the shell, which tells a reused pid
  std::string unit;          // unit mode: the task's unit
};

// A started task, followed by the one thread that started it; not thread-safe.
class RunningTask {
 public:
  using ChunkSink = std::function<void(OutputStream, std::string_view)>;
  virtual ~RunningTask() = default;
  // Passes output chunks to `on_chunk` as they arrive (on this thread) until the task has ended and
  // its output is drained; enforces the deadline and cancellation; makes `notice`'s call if the
  // task still runs at its time. Call once.
  virtual ProcessExit Supervise(const SupervisionLimits& limits, const ChunkSink& on_chunk,
                                const TaskNotice& notice = {}) = 0;
  // Where it runs, for the journal (the runner adds the unit's name).
  virtual RunningTaskRecord Record() const { return {}; }
};

// What the runner has decided about a task before it starts.
struct LaunchRequest {
  std::string_view id;
  const TaskSpec& spec;
  std::string_view user;     // as TaskUser resolved it
  std::string_view workdir;  // never empty
  const EnvOverrides& env;   // [tasks] environment, then the request's (the last of a name wins)
  const TaskLimits& limits;  // the effective limits (defaults applied, "max" dropped)
  Duration timeout{};        // zero or less: none
  Duration kill_grace{};
};

// Thread-safe: tasks start on several threads at once.
class TaskStarter {
 public:
  virtual ~TaskStarter() = default;
  // "process" or "unit".
  virtual std::string_view mode() const = 0;
  // The user a task runs as: `requested` (empty: none asked for) or `configured` ([tasks] user),
  // or why it cannot run as that user here.
  virtual Result<std::string> TaskUser(std::string_view requested, const std::string& configured) const = 0;
  // Which limits tasks started here are expected to get (the end of each task says what held).
  virtual LimitSupport support() const = 0;
  // Starts the task; the failure reads as the rest of "spawn failed: ...".
  virtual Result<std::unique_ptr<RunningTask>> Start(const LaunchRequest& request) = 0;
  // A task an earlier life of this agent left running (it stopped without ending it: a crash,
  // kill -9): stops whatever is left of it. True if anything was.
  virtual bool StopLeftover(std::string_view task_id, const RunningTaskRecord& record) = 0;
};

}  // namespace sloth
