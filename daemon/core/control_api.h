#pragma once
// The one dispatch every control front end calls (gRPC over the Unix socket, D-Bus later, TCP
// with authentication later). Front ends translate their types and identify the caller; the
// behaviour, the audit log and the policy live here, once.
// Thread-safe: called concurrently from the front ends' threads.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
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

struct CancelOutcome {
  bool cancelled = false;
  std::string reason;    // why not
  bool unknown = false;  // no task with that id (rather than one already finished)
};

struct StartOutcome {
  std::string id;       // empty when refused
  std::string refusal;  // why it was refused at admission (queue full, shutting down)
};

class ControlApi {
 public:
  struct Sources {
    std::function<AgentInfo()> info;
    std::function<std::optional<std::string>()> unhealthy_reason;  // nullopt: healthy
  };

  ControlApi(TaskRunner& runner, Telemetry& telemetry, Logger& log, Sources sources);

  AgentInfo GetInfo(const Caller& caller);
  std::optional<std::string> GetHealth(const Caller& caller);
  // RunTask in two steps (TaskRunner::Begin/Complete): BeginTask admits the task without
  // waiting; CompleteTask, on whatever thread can wait, spawns the task and follows it to its
  // end, making `notice`'s call if the task is still queued or running at its time.
  TaskRunner::Started BeginTask(const Caller& caller, TaskSpec spec, TaskResult* refused);
  TaskResult CompleteTask(TaskRunner::Started started, const TaskRunner::OutputSink& on_output, TaskNotice notice = {});
  // Starts the task on a runner worker and returns at once, for front ends whose clients follow
  // the task later (D-Bus: TaskFinished, GetTask) instead of staying connected to it.
  StartOutcome StartTask(const Caller& caller, TaskSpec spec);
  // One queued, running or remembered task; finished ones carry their kept output.
  std::optional<TaskResult> GetTask(const Caller& caller, std::string_view id);
  std::vector<TaskResult> ListTasks(const Caller& caller);
  CancelOutcome CancelTask(const Caller& caller, std::string_view id);
  std::string GetMetrics(const Caller& caller);

 private:
  // Reads are logged at debug level (a dashboard polls them); actions at info, for audit.
  void Audit(LogLevel level, const Caller& caller, std::string_view what, std::initializer_list<LogField> extra = {});

  TaskRunner& runner_;
  Telemetry& telemetry_;
  Logger& log_;
  Sources sources_;
};

}  // namespace sloth
