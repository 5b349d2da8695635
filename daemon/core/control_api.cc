#include "daemon/core/control_api.h"

#include <fmt/format.h>

#include "common/message_ids.h"

namespace sloth {

ControlApi::ControlApi(TaskRunner& runner, Telemetry& telemetry, Logger& log, Sources sources)
    : runner_(runner), telemetry_(telemetry), log_(log), sources_(std::move(sources)) {}

void ControlApi::Audit(LogLevel level, const Caller& caller, std::string_view what,
                       std::initializer_list<LogField> extra) {
  if (!log_.Enabled(level)) return;  // a dashboard polls read calls: build nothing for nobody
  std::vector<LogField> fields = {{"SLOTH_CALLER_UID", std::to_string(caller.uid)},
                                  {"SLOTH_CALLER_PID", std::to_string(caller.pid)},
                                  {"SLOTH_VIA", caller.via}};
  fields.insert(fields.end(), extra.begin(), extra.end());
  log_.Log(level, fmt::format("{} (uid {}, pid {}, via {})", what, caller.uid, caller.pid, caller.via),
           std::span<const LogField>(fields), message_id::kControlCall);
}

AgentInfo ControlApi::GetInfo(const Caller& caller) {
  Audit(LogLevel::kDebug, caller, "GetInfo");
  return sources_.info();
}

std::optional<std::string> ControlApi::GetHealth(const Caller& caller) {
  Audit(LogLevel::kDebug, caller, "GetHealth");
  return sources_.unhealthy_reason();
}

Result<TaskRunner::Started, TaskResult> ControlApi::BeginTask(const Caller& caller, TaskSpec spec) {
  Audit(LogLevel::kInfo, caller, fmt::format("RunTask {}/{}", spec.group, spec.name),
        {{"SLOTH_TASK", spec.name}, {"SLOTH_GROUP", spec.group}});
  return runner_.Begin(std::move(spec));
}

TaskResult ControlApi::CompleteTask(TaskRunner::Started started, const TaskRunner::OutputSink& on_output,
                                    TaskNotice notice) {
  return runner_.Complete(std::move(started), on_output, std::move(notice));
}

Result<std::string> ControlApi::StartTask(const Caller& caller, TaskSpec spec) {
  Audit(LogLevel::kInfo, caller, fmt::format("StartTask {}/{}", spec.group, spec.name),
        {{"SLOTH_TASK", spec.name}, {"SLOTH_GROUP", spec.group}});
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
  Audit(LogLevel::kInfo, caller, fmt::format("CancelTask {}", id), {{"SLOTH_TASK_ID", std::string(id)}});
  if (runner_.Cancel(id)) return {};
  auto known = runner_.Get(id);
  if (!known) return CancelRefused{fmt::format("no task with id {} (see ListTasks)", id), true};
  return CancelRefused{fmt::format("task {} already finished ({})", id, TaskStatusName(known->status))};
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
