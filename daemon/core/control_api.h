#pragma once
// The one dispatch every control front end calls: gRPC over the Unix socket, D-Bus on the system
// bus, and later the master's stream. Front ends translate their types and identify the caller;
// the behaviour, the audit log and the policy live here, once. A new control call is one handler
// here, one row in each front end's table (doc/CODING_STYLE.md, "Adding a control call").
// Thread-safe: called concurrently from the front ends' threads.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "common/result.h"
#include "daemon/core/agent_info.h"
#include "daemon/core/tasks/task_runner.h"
#include "daemon/core/telemetry/telemetry.h"

namespace sloth {

// Who is calling, as the front end established it (SO_PEERCRED, D-Bus credentials).
struct Caller {
  std::string via;  // "unix", "dbus", ...
  int64_t uid = -1;
  int64_t pid = -1;
};

// Why a task was not cancelled.
struct CancelRefused {
  std::string reason;
  bool unknown = false;  // no task with that id (rather than one already finished)
};

// What a reload applied: where the configuration came from, and what it could not change now
// (settings that take effect at the next start, settings systemd's sockets override).
struct ReloadReport {
  std::string loaded_from;
  std::vector<std::string> notes;
};

class ControlApi {
 public:
  // What the agent around the core provides.
  struct Sources {
    std::function<AgentInfo()> info;
    std::function<std::optional<std::string>()> unhealthy_reason;  // nullopt: healthy
    // Re-reads and applies the configuration, as SIGHUP does; a bad file changes nothing.
    std::function<Result<ReloadReport>()> reload;
  };

  ControlApi(TaskRunner& runner, Telemetry& telemetry, Logger& log, Sources sources);

  AgentInfo GetInfo(const Caller& caller);
  std::optional<std::string> GetHealth(const Caller& caller);
  // RunTask in two steps (TaskRunner::Begin/Complete): BeginTask admits the task without
  // waiting (refused: the refused task's result); CompleteTask, on whatever thread can wait,
  // spawns the task and follows it to its end, making `notice`'s call if the task is still
  // queued or running at its time.
  Result<TaskRunner::Started, TaskResult> BeginTask(const Caller& caller, TaskSpec spec);
  TaskResult CompleteTask(TaskRunner::Started started, const TaskRunner::OutputSink& on_output, TaskNotice notice = {});
  // Starts the task on a runner worker and returns its id at once (or why it was refused), for
  // front ends whose clients follow the task later (D-Bus: TaskFinished, GetTask) instead of
  // staying connected to it.
  Result<std::string> StartTask(const Caller& caller, TaskSpec spec);
  // One queued, running or remembered task; finished ones carry their kept output.
  std::optional<TaskResult> GetTask(const Caller& caller, std::string_view id);
  std::vector<TaskResult> ListTasks(const Caller& caller);
  Result<void, CancelRefused> CancelTask(const Caller& caller, std::string_view id);
  std::string GetMetrics(const Caller& caller);
  Result<ReloadReport> Reload(const Caller& caller);

 private:
  // Reads are logged at debug level (a dashboard polls them); actions at info, for audit.
  void Audit(LogLevel level, const Caller& caller, std::string_view what, std::initializer_list<LogField> extra = {});

  TaskRunner& runner_;
  Telemetry& telemetry_;
  Logger& log_;
  Sources sources_;
};

}  // namespace sloth
