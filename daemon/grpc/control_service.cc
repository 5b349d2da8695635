#include "daemon/grpc/control_service.h"

#include <fmt/format.h>

#include <chrono>
#include <utility>

namespace sloth {
namespace {

int64_t UnixMillis(std::chrono::system_clock::time_point t) {
  if (t.time_since_epoch().count() == 0) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

v1::TaskStatus ToProto(TaskStatus status) {
  switch (status) {
    case TaskStatus::kQueued: return v1::TASK_STATUS_QUEUED;
    case TaskStatus::kRunning: return v1::TASK_STATUS_RUNNING;
    case TaskStatus::kSuccess: return v1::TASK_STATUS_SUCCESS;
    case TaskStatus::kFailed: return v1::TASK_STATUS_FAILED;
    case TaskStatus::kSkipped: return v1::TASK_STATUS_SKIPPED;
  }
  return v1::TASK_STATUS_UNSPECIFIED;
}

v1::RunTaskEvent StartedEvent(const std::string& id) {
  v1::RunTaskEvent event;
  event.mutable_started()->set_id(id);
  return event;
}

}  // namespace

void ToProto(const TaskResult& r, bool include_output, v1::TaskResult* out) {
  out->set_id(r.id);
  out->set_name(r.name);
  out->set_group(r.group);
  out->set_command(r.command);
  out->set_status(ToProto(r.status));
  out->set_exit_code(r.exit_code);
  out->set_signal(r.signal);
  out->set_timed_out(r.timed_out);
  out->set_cancelled(r.cancelled);
  out->set_reason(r.reason);
  out->set_duration_seconds(std::chrono::duration<double>(r.duration).count());
  out->set_start_time_unix_ms(UnixMillis(r.start_time));
  out->set_end_time_unix_ms(UnixMillis(r.end_time));
  out->set_output_truncated(r.output_truncated);
  out->set_output_bytes(r.output_bytes);
  if (include_output) out->set_kept_output(r.kept_output);
}

void ToProto(const AgentInfo& info, v1::AgentInfo* out) {
  out->set_name(info.identity.name);
  out->set_version(info.identity.version);
  out->set_commit(info.identity.commit);
  out->set_compiler(info.identity.compiler);
  out->set_os(info.identity.os);
  out->set_arch(info.identity.arch);
  out->set_pid(info.pid);
  out->set_start_time_unix_ms(UnixMillis(info.start_time));
  out->set_uptime_seconds(info.uptime_seconds);
  out->set_master(info.master);
  out->set_metrics_url(info.metrics_url);
  out->set_control_socket(info.control_socket);
  out->set_tasks_running(info.tasks_running);
}

ControlService::ControlService(ControlApi& api, CredentialsFn credentials)
    : api_(api), credentials_(std::move(credentials)) {}

Caller ControlService::CallerOf(const grpc::ServerContext& context) const {
  Caller caller{"unix"};
  if (auto cred = credentials_(context.peer())) {
    caller.uid = cred->uid;
    caller.pid = cred->pid;
  }
  return caller;
}

grpc::Status ControlService::GetInfo(const Caller& caller, const v1::GetInfoRequest&, v1::AgentInfo* reply) {
  ToProto(api_.GetInfo(caller), reply);
  return grpc::Status::OK;
}

grpc::Status ControlService::GetHealth(const Caller& caller, const v1::GetHealthRequest&, v1::Health* reply) {
  auto reason = api_.GetHealth(caller);
  reply->set_healthy(!reason);
  if (reason) reply->set_reason(*reason);
  return grpc::Status::OK;
}

grpc::Status ControlService::CheckRunTask(const v1::RunTaskRequest& request, TaskSpec* spec) const {
  if (request.command().empty()) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "command is empty: pass the shell command to run"};
  }
  spec->command = request.command();
  if (!request.name().empty()) spec->name = request.name();
  if (!request.group().empty()) spec->group = request.group();
  spec->workdir = request.workdir();
  for (const auto& [key, value] : request.env()) {
    if (key.empty() || key.find('=') != std::string::npos) {
      return {grpc::StatusCode::INVALID_ARGUMENT, fmt::format("invalid environment variable name '{}'", key)};
    }
    spec->env.emplace_back(key, value);
  }
  if (request.timeout_ms() > 0) spec->timeout = std::chrono::milliseconds(request.timeout_ms());
  return grpc::Status::OK;
}

TaskRunner::Started ControlService::BeginRunTask(const Caller& caller, TaskSpec spec, v1::RunTaskEvent* refused) {
  TaskResult refusal;
  TaskRunner::Started started = api_.BeginTask(caller, std::move(spec), &refusal);
  if (!started) ToProto(refusal, false, refused->mutable_result());
  return started;
}

v1::RunTaskEvent ControlService::CompleteRunTask(TaskRunner::Started started, const EventSink& send) {
  const std::string id = started.id();
  bool announced = false;  // this thread only: the notice and the output come from it
  auto announce = [&] {
    if (!std::exchange(announced, true)) send(StartedEvent(id));
  };
  TaskNotice notice{std::chrono::steady_clock::now() + kStartedEventDelay, announce};
  const TaskResult result = api_.CompleteTask(
      std::move(started),
      [&](OutputStream stream, std::string_view chunk) {
        announce();  // the id before any output
        v1::RunTaskEvent event;
        auto* out = event.mutable_output();
        out->set_stream(stream == OutputStream::kStdout ? v1::OutputChunk::STREAM_STDOUT
                                                        : v1::OutputChunk::STREAM_STDERR);
        out->set_data(chunk.data(), chunk.size());
        send(event);
      },
      std::move(notice));
  v1::RunTaskEvent event;
  ToProto(result, false, event.mutable_result());
  return event;
}

grpc::Status ControlService::ListTasks(const Caller& caller, const v1::ListTasksRequest& request,
                                       v1::ListTasksResponse* reply) {
  for (const TaskResult& task : api_.ListTasks(caller)) {
    ToProto(task, request.include_output(), reply->add_tasks());
  }
  return grpc::Status::OK;
}

grpc::Status ControlService::CancelTask(const Caller& caller, const v1::CancelTaskRequest& request,
                                        v1::CancelTaskResponse* reply) {
  if (request.id().empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "task id is empty"};
  const CancelOutcome outcome = api_.CancelTask(caller, request.id());
  reply->set_cancelled(outcome.cancelled);
  reply->set_reason(outcome.reason);
  return grpc::Status::OK;
}

grpc::Status ControlService::GetMetrics(const Caller& caller, const v1::GetMetricsRequest&, v1::Metrics* reply) {
  reply->set_text(api_.GetMetrics(caller));
  reply->set_content_type("text/plain; version=0.0.4; charset=utf-8");
  return grpc::Status::OK;
}

}  // namespace sloth
