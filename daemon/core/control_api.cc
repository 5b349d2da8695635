#include "daemon/core/control_api.h"

#include <fmt/format.h>

#include "common/message_ids.h"

namespace sloth {

std::string Caller::Name() const { return identity.empty() ? fmt::format("uid:{}", uid) : identity; }

ControlApi::ControlApi(TaskRunner& runner, WorkflowRuns& workflows, Telemetry& telemetry, Logger& log, Sources sources)
    : runner_(runner), workflows_(workflows), telemetry_(telemetry), log_(log), sources_(std::move(sources)) {}

void ControlApi::Audit(LogLevel level, const Caller& caller, std::string_view what,
                       std::initializer_list<LogField> extra) {
  if (!log_.Enabled(level)) return;  // a dashboard polls read calls: build nothing for nobody
  std::vector<LogField> fields = {{"SLOTH_CALLER_UID", std::to_string(caller.uid)},
                                  {"SLOTH_CALLER_PID", std::to_string(caller.pid)},
                                  {"SLOTH_VIA", caller.via},
                                  {"SLOTH_CALLER", caller.Name()}};
  fields.insert(fields.end(), extra.begin(), extra.end());
  const std::string who = caller.identity.empty() ? fmt::format("uid {}, pid {}", caller.uid, caller.pid)
                                                  : fmt::format("by {}", caller.identity);
  log_.Log(level, fmt::format("{} ({}, via {})", what, who, caller.via), std::span<const LogField>(fields),
           message_id::kControlCall);
}

AgentInfo ControlApi::GetInfo(const Caller& caller) {
  Audit(LogLevel::kDebug, caller, "GetInfo");
  return sources_.info();
}

std::optional<std::string> ControlApi::GetHealth(const Caller& caller) {
  Audit(LogLevel::kDebug, caller, "GetHealth");
  return sources_.unhealthy_reason();
}

Result<TaskRunner::Started, TaskRefusal> ControlApi::BeginTask(const Caller& caller, TaskSpec spec) {
  Audit(LogLevel::kInfo, caller, fmt::format("RunTask {}/{}", spec.group, spec.name),
        {{"SLOTH_TASK", spec.name}, {"SLOTH_GROUP", spec.group}});
  spec.caller = caller.Name();
  return runner_.Begin(std::move(spec));
}

TaskResult ControlApi::CompleteTask(TaskRunner::Started started, const TaskRunner::OutputSink& on_output,
                                    TaskNotice notice) {
  return runner_.Complete(std::move(started), on_output, std::move(notice));
}

Result<std::string, TaskRefusal> ControlApi::StartTask(const Caller& caller, TaskSpec spec) {
  Audit(LogLevel::kInfo, caller, fmt::format("StartTask {}/{}", spec.group, spec.name),
        {{"SLOTH_TASK", spec.name}, {"SLOTH_GROUP", spec.group}});
  spec.caller = caller.Name();
  return runner_.Start(std::move(spec));
}

std::optional<TaskResult> ControlApi::GetTask(const Caller& caller, std::string_view id) {
  Audit(LogLevel::kDebug, caller, fmt::format("GetTask {}", id), {{"SLOTH_TASK_ID", std::string(id)}});
  return runner_.Get(id);
}

std::vector<TaskResult> ControlApi::ListTasks(const Caller& caller) {
  Audit(LogLevel::kDebug, caller, "ListTasks");
  return runner_.List();
}

Result<void, CancelRefused> ControlApi::CancelTask(const Caller& caller, std::string_view id) {
  if (WorkflowRuns::IsRunId(id)) {
    Audit(LogLevel::kInfo, caller, fmt::format("CancelTask {}", id), {{"SLOTH_RUN_ID", std::string(id)}});
    switch (workflows_.Cancel(id, fmt::format("by uid {} via {}", caller.uid, caller.via))) {
      case WorkflowRuns::CancelOutcome::kCancelled: return {};
      case WorkflowRuns::CancelOutcome::kUnknown:
        return CancelRefused{fmt::format("no workflow run with id {} (see ListTasks)", id), true};
      case WorkflowRuns::CancelOutcome::kFinished:
        return CancelRefused{fmt::format("workflow run {} already finished", id)};
    }
  }
  Audit(LogLevel::kInfo, caller, fmt::format("CancelTask {}", id), {{"SLOTH_TASK_ID", std::string(id)}});
  if (runner_.Cancel(id)) return {};
  auto known = runner_.Get(id);
  if (!known) return CancelRefused{fmt::format("no task with id {} (see ListTasks)", id), true};
  return CancelRefused{fmt::format("task {} already finished ({})", id, TaskStatusName(known->status))};
}

Result<Workflow, WorkflowRefused> ControlApi::ResolveWorkflow(const Caller& caller, std::string_view what,
                                                              const WorkflowSource& source) {
  auto workflow = LoadWorkflow(source);
  if (!workflow) {
    Audit(LogLevel::kInfo, caller,
          fmt::format("{} {}: refused: {}", what, source.file.name, workflow.error().ToString()));
    return WorkflowRefused{true, workflow.error().ToString()};
  }
  Audit(LogLevel::kInfo, caller,
        fmt::format("{} {} ({}, {} tasks)", what, workflow->name, source.file.name, workflow->tasks.size()),
        {{"SLOTH_WORKFLOW", workflow->name}});
  return std::move(workflow).value();
}

Result<WorkflowRunResult, WorkflowRefused> ControlApi::RunWorkflow(const Caller& caller, const WorkflowSource& source,
                                                                   const WorkflowEventSink& on_event) {
  auto workflow = ResolveWorkflow(caller, "RunWorkflow", source);
  if (!workflow) return workflow.error();
  auto run = workflows_.Run(std::move(workflow).value(), on_event);
  if (!run) return WorkflowRefused{false, run.error().message};
  return std::move(run).value();
}

Result<std::string, WorkflowRefused> ControlApi::StartWorkflow(const Caller& caller, const WorkflowSource& source,
                                                               WorkflowEventSink on_event, WorkflowEndSink on_end) {
  auto workflow = ResolveWorkflow(caller, "StartWorkflow", source);
  if (!workflow) return workflow.error();
  auto id = workflows_.Start(std::move(workflow).value(), std::move(on_event), std::move(on_end));
  if (!id) return WorkflowRefused{false, id.error().message};
  return std::move(id).value();
}

std::optional<WorkflowRunResult> ControlApi::GetWorkflowRun(const Caller& caller, std::string_view id) {
  Audit(LogLevel::kDebug, caller, fmt::format("GetWorkflowRun {}", id), {{"SLOTH_RUN_ID", std::string(id)}});
  return workflows_.Get(id);
}

std::vector<WorkflowRunResult> ControlApi::ListWorkflowRuns(const Caller& caller) {
  Audit(LogLevel::kDebug, caller, "ListWorkflowRuns");
  return workflows_.List();
}

std::string ControlApi::GetMetrics(const Caller& caller) {
  Audit(LogLevel::kDebug, caller, "GetMetrics");
  return telemetry_.ExpositionText();
}

Result<ReloadReport> ControlApi::Reload(const Caller& caller) {
  Audit(LogLevel::kInfo, caller, "Reload");
  return sources_.reload();
}

}  // namespace sloth
