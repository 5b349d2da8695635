#pragma once
// The value types of a task (doc/ARCHITECTURE.md §7, "Tasks"): what to run and what came of it.
// Plain values; no thread owns them.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/duration.h"
#include "common/result.h"
#include "daemon/core/tasks/task_limits.h"

namespace sloth {

// Environment variables as NAME, value pairs, in order: a later one of a name wins.
using EnvOverrides = std::vector<std::pair<std::string, std::string>>;

struct TaskSpec {
  std::string command;  // run as `/bin/sh -c command`
  std::string name = "adhoc";
  std::string group = "adhoc";
  std::string workdir;              // empty: the runner's default
  EnvOverrides env;                 // added to (and overriding) the base env
  std::optional<Duration> timeout;  // nullopt: the runner's default
  std::string user;                 // empty: the runner's default ([tasks] user)
  TaskLimits limits;                // unset fields: the runner's defaults
  // A workflow's task: the workflow's name and the run's id, logged with the task (SLOTH_WORKFLOW,
  // SLOTH_RUN_ID) and kept in its result. Empty for an ad-hoc task.
  std::string workflow;
  std::string run_id;
  std::string caller{};  // who asked, for the task's journal records (Caller::Name); set by ControlApi
};

// `spec` as a front end received it, checked and completed for the runner: an empty name or group
// becomes "adhoc"; refused, saying what to fix, when the command is empty or the command, a name
// or a value cannot be handed to the shell.
Result<TaskSpec> CheckedTaskSpec(TaskSpec spec);

// A timeout in milliseconds as the control contracts carry it: 0 is the runner's default
// (nullopt); longer than about 31 years is clamped, so that nanoseconds cannot overflow.
std::optional<Duration> TimeoutFromMillis(uint64_t ms);

enum class TaskStatus { kQueued, kRunning, kSuccess, kFailed, kSkipped };

// "queued", "running", "success", "failed", "skipped".
std::string_view TaskStatusName(TaskStatus status);

enum class OutputStream { kStdout, kStderr };

// Why a task was not admitted. A refused task never ran and is no task: it has no id, no history
// entry and no sloth_tasks_total sample; it is counted in sloth_errors_total{type="task_refused"}
// and each front end says so in its own terms (doc/ARCHITECTURE.md §7, "Tasks").
enum class RefusalKind {
  kQueueFull,       // max_concurrent running and max_queued waiting: try again later
  kStopping,        // the agent is shutting down
  kInvalid,         // the request cannot be run as given (empty command, a NUL, a bad name)
  kUserNotAllowed,  // the user it asks for is not one tasks may run as here
};

struct TaskRefusal {
  RefusalKind kind = RefusalKind::kInvalid;
  std::string reason;  // "queue full: 4 tasks waiting (max_queued)", "shutting down", ...
};

// A call made once, by the thread that follows a task, at `at` if the task is still queued or
// running then; never if it ended sooner. Lets a front end tell its client about a task only
// once there is something to tell (see ControlService::kStartedEventDelay).
struct TaskNotice {
  std::chrono::steady_clock::time_point at = std::chrono::steady_clock::time_point::max();
  std::function<void()> call;  // empty: no notice
};

struct TaskResult {
  std::string id;
  std::string name, group, command;
  std::string workflow, run_id;  // a workflow's task: see TaskSpec
  TaskStatus status = TaskStatus::kQueued;
  int exit_code = -1;  // -1 when killed by a signal or never ran
  int signal = 0;
  bool timed_out = false;
  bool cancelled = false;
  // Empty on success; else "exit code 3", "killed by signal 9", "timed out after 5s", "cancelled",
  // "spawn failed: No such file or directory", "cancelled: shutting down".
  std::string reason;
  Duration duration{};
  std::chrono::system_clock::time_point start_time, end_time;
  bool output_truncated = false;
  uint64_t output_bytes = 0;  // total produced, kept or not
  std::string kept_output;    // interleaved stdout+stderr, up to the runner's cap
  std::string user;           // who it ran (or runs) as
  std::string unit;           // unit mode: "sloth-task-<id>.service"; empty in process mode
  TaskUsage usage;            // what it consumed, once it ran
  // Limits that were asked for but not enforced, and why ("memory_max=64M not enforced: ..."); empty
  // when every limit asked for held, or none was asked for.
  std::string limits_not_enforced;
};

}  // namespace sloth
