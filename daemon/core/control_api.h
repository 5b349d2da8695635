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
#include "daemon/core/workflow_runs/workflow_runs.h"
#include "daemon/core/workflows/workflow.h"

namespace sloth {

// Who is calling, as the front end established it (SO_PEERCRED, D-Bus credentials, the master).
struct Caller {
  std::string via;  // "unix", "dbus", "master"
  int64_t uid = -1;
  int64_t pid = -1;
  std::string identity{};  // via the master: the operator it authenticated ("cert:alice", "token:ci")

  // For logs and the task's journal record: the identity, else "uid:N".
  std::string Name() const;
};

// Why a task was not cancelled.
struct CancelRefused {
  std::string reason;
  bool unknown = false;  // no task with that id (rather than one already finished)
};

// Why a workflow run was not started: the workflow is invalid (an error at file:line:column), or
// the agent refuses runs now (it is stopping).
struct WorkflowRefused {
  bool invalid = false;
  std::string message;
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

  ControlApi(TaskRunner& runner, WorkflowRuns& workflows, Telemetry& telemetry, Logger& log, Sources sources);

  AgentInfo GetInfo(const Caller& caller);
  std::optional<std::string> GetHealth(const Caller& caller);
  // RunTask in two steps (TaskRunner::Begin/Complete): BeginTask admits the task without
  // waiting (or says why it is refused: no task then); CompleteTask, on whatever thread can wait,
  // spawns the task and follows it to its end, making `notice`'s call if the task is still
  // queued or running at its time.
  Result<TaskRunner::Started, TaskRefusal> BeginTask(const Caller& caller, TaskSpec spec);
  TaskResult CompleteTask(TaskRunner::Started started, const TaskRunner::OutputSink& on_output, TaskNotice notice = {});
  // Starts the task on a runner worker and returns its id at once (or why it was refused), for
  // front ends whose clients follow the task later (D-Bus: TaskFinished, GetTask) instead of
  // staying connected to it.
  Result<std::string, TaskRefusal> StartTask(const Caller& caller, TaskSpec spec);
  // One queued, running or remembered task; finished ones carry their kept output.
  std::optional<TaskResult> GetTask(const Caller& caller, std::string_view id);
  std::vector<TaskResult> ListTasks(const Caller& caller);
  // A task (t-...) or a workflow run (w-...): a run skips what has not started and stops what runs.
  Result<void, CancelRefused> CancelTask(const Caller& caller, std::string_view id);
  // Resolves `source` as slothctl did (refused with file:line:column when it is invalid), then runs
  // the workflow on the calling thread until every task has its status, handing each change to
  // `on_event` in order; returns the run's result.
  Result<WorkflowRunResult, WorkflowRefused> RunWorkflow(const Caller& caller, const WorkflowSource& source,
                                                         const WorkflowEventSink& on_event);
  // The same on a thread of the agent's, for front ends whose clients follow the run by its id
  // (D-Bus: signals, GetWorkflowRun); returns the id at once.
  Result<std::string, WorkflowRefused> StartWorkflow(const Caller& caller, const WorkflowSource& source,
                                                     WorkflowEventSink on_event, WorkflowEndSink on_end);
  // A run in progress or remembered, with its tasks; finished tasks that failed carry their output.
  std::optional<WorkflowRunResult> GetWorkflowRun(const Caller& caller, std::string_view id);
  // Runs in progress, then recent ones, newest first, without their task lists.
  std::vector<WorkflowRunResult> ListWorkflowRuns(const Caller& caller);
  std::string GetMetrics(const Caller& caller);
  Result<ReloadReport> Reload(const Caller& caller);

 private:
  // Reads are logged at debug level (a dashboard polls them); actions at info, for audit.
  void Audit(LogLevel level, const Caller& caller, std::string_view what, std::initializer_list<LogField> extra = {});

  // The workflow `source` names, resolved; audited as the call `what`.
  Result<Workflow, WorkflowRefused> ResolveWorkflow(const Caller& caller, std::string_view what,
                                                    const WorkflowSource& source);

  TaskRunner& runner_;
  WorkflowRuns& workflows_;
  Telemetry& telemetry_;
  Logger& log_;
  Sources sources_;
};

}  // namespace sloth
