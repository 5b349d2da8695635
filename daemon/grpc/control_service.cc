#include "daemon/grpc/control_service.h"

#include "daemon/grpc/stream_call.h"
#include "daemon/grpc/unary_call.h"

#include <fmt/format.h>

#include <chrono>
#include <random>
#include <utility>

namespace sloth {
namespace {

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

std::string RandomHex(size_t bytes) {
  std::random_device random;
  std::string hex;
  for (size_t i = 0; i < bytes; ++i) hex += fmt::format("{:02x}", random() & 0xff);
  return hex;
}

// Compares in constant time for equal lengths.
bool SameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  return difference == 0;
}
double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// Events a RunTask worker may queue ahead of its client before it waits (backpressure).
constexpr size_t kMaxQueuedTaskEventBytes = 256 * 1024;
// A run's events are never waited for: a cancel hands them over from the completion-queue
// thread, which does the writing. They are small and a few per task.
constexpr size_t kUnboundedEventBytes = SIZE_MAX;

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
  out->set_user(r.user);
  out->set_unit(r.unit);
  v1::TaskUsage* usage = out->mutable_usage();
  usage->set_measured(r.usage.measured);
  usage->set_cpu_seconds(r.usage.cpu_seconds);
  usage->set_memory_peak_bytes(r.usage.memory_peak_bytes);
  usage->set_memory_peak_whole_task(r.usage.memory_peak_whole_task);
  out->set_limits_not_enforced(r.limits_not_enforced);
  out->set_workflow(r.workflow);
  out->set_run_id(r.run_id);
}

void ToProto(const WorkflowRunTask& task, size_t index, v1::WorkflowTask* out) {
  out->set_index(static_cast<uint32_t>(index));
  out->set_group(task.group);
  out->set_name(task.name);
  for (const std::string& dep : task.depends_on) out->add_depends_on(dep);
  out->set_status(ToProto(task.status));
  out->set_attempts(task.attempts);
  out->set_reason(task.reason);
  if (!task.last.id.empty()) ToProto(task.last, /*include_output=*/true, out->mutable_last());
}

void ToProto(const WorkflowRunGroup& group, size_t index, v1::WorkflowGroup* out) {
  out->set_index(static_cast<uint32_t>(index));
  out->set_name(group.name);
  out->set_status(ToProto(group.status));
  out->set_duration_seconds(Seconds(group.duration));
}

void ToProto(const WorkflowRunResult& run, v1::WorkflowRun* out) {
  out->set_id(run.id);
  out->set_workflow(run.workflow);
  out->set_source(run.source);
  out->set_status(ToProto(run.status));
  out->set_cancelled(run.cancelled);
  out->set_reason(run.reason);
  out->set_start_time_unix_ms(UnixMillis(run.start_time));
  out->set_end_time_unix_ms(UnixMillis(run.end_time));
  out->set_duration_seconds(Seconds(run.duration));
  for (size_t g = 0; g < run.groups.size(); ++g) ToProto(run.groups[g], g, out->add_groups());
  for (size_t t = 0; t < run.tasks.size(); ++t) ToProto(run.tasks[t], t, out->add_tasks());
  out->set_tasks_queued(run.counts.queued);
  out->set_tasks_running(run.counts.running);
  out->set_tasks_succeeded(run.counts.success);
  out->set_tasks_failed(run.counts.failed);
  out->set_tasks_skipped(run.counts.skipped);
}

WorkflowSource FromProto(const v1::RunWorkflowRequest& request) {
  WorkflowSource source;
  source.file = {request.file().name(), request.file().text()};
  for (const auto& values : request.values()) source.values_files.push_back({values.name(), values.text()});
  source.sets.assign(request.set().begin(), request.set().end());
  source.groups.assign(request.groups().begin(), request.groups().end());
  return source;
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
  out->set_task_isolation(info.task_isolation);
  out->set_task_user(info.task_user);
  out->set_memory_max_not_enforced(info.task_limits.memory);
  out->set_cpu_quota_not_enforced(info.task_limits.cpu);
  out->set_tasks_max_not_enforced(info.task_limits.tasks);
}

ControlService::ControlService(ControlApi& api, CredentialsFn credentials)
    : api_(api), credentials_(std::move(credentials)), relay_key_(RandomHex(16)) {}

Caller ControlService::CallerOf(const grpc::ServerContext& context) const {
  const auto& metadata = context.client_metadata();
  // Calls relayed from the master come over the front end's in-process channel (master_link.cc)
  // with this process's relay key, which no client of the socket can know: they name the
  // operator the master authenticated.
  if (const auto key = metadata.find(kRelayKeyMetadata);
      key != metadata.end() && SameSecret(std::string_view(key->second.data(), key->second.size()), relay_key_)) {
    Caller caller{"master"};
    const auto it = metadata.find(kRelayedCallerKey);
    caller.identity = it == metadata.end() ? "master" : std::string(it->second.data(), it->second.size());
    return caller;
  }
  Caller caller{"unix"};
  if (auto cred = credentials_(context.peer())) {
    caller.uid = cred->uid;
    caller.pid = cred->pid;
  }
  return caller;
}

grpc::Status ControlService::CheckRunTask(const v1::RunTaskRequest& request, TaskSpec* spec) const {
  auto limits = RequestLimits(request.memory_max(), request.cpu_quota(), request.tasks_max());
  if (!limits) return {grpc::StatusCode::INVALID_ARGUMENT, limits.error().message};
  TaskSpec received{.command = request.command(),
                    .name = request.name(),
                    .group = request.group(),
                    .workdir = request.workdir(),
                    .env = {request.env().begin(), request.env().end()},
                    .timeout = TimeoutFromMillis(request.timeout_ms()),
                    .user = request.user(),
                    .limits = *limits,
                    .workflow = {},  // an ad-hoc task
                    .run_id = {}};
  auto checked = CheckedTaskSpec(std::move(received));
  if (!checked) return {grpc::StatusCode::INVALID_ARGUMENT, checked.error().message};
  *spec = std::move(checked).value();
  return grpc::Status::OK;
}

grpc::Status RefusalStatus(const TaskRefusal& refusal) {
  switch (refusal.kind) {
    case RefusalKind::kQueueFull: return {grpc::StatusCode::RESOURCE_EXHAUSTED, refusal.reason};
    case RefusalKind::kStopping: return {grpc::StatusCode::UNAVAILABLE, refusal.reason};
    case RefusalKind::kInvalid: return {grpc::StatusCode::INVALID_ARGUMENT, refusal.reason};
    case RefusalKind::kUserNotAllowed: return {grpc::StatusCode::PERMISSION_DENIED, refusal.reason};
  }
  return {grpc::StatusCode::INTERNAL, refusal.reason};
}

Result<TaskRunner::Started, grpc::Status> ControlService::BeginRunTask(const Caller& caller, TaskSpec spec) {
  auto begun = api_.BeginTask(caller, std::move(spec));
  if (begun) return std::move(begun).value();
  return RefusalStatus(begun.error());
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

Result<v1::WorkflowEvent, grpc::Status> ControlService::RunWorkflow(
    const Caller& caller, const v1::RunWorkflowRequest& request,
    const std::function<void(const v1::WorkflowEvent&)>& send) {
  auto run = api_.RunWorkflow(caller, FromProto(request), [&send](const WorkflowEvent& event) {
    v1::WorkflowEvent out;
    if (const auto* started = std::get_if<WorkflowRunResult>(&event)) {
      ToProto(*started, out.mutable_started());
    } else if (const auto* task = std::get_if<WorkflowTaskChange>(&event)) {
      ToProto(task->task, task->index, out.mutable_task());
    } else if (const auto* group = std::get_if<WorkflowGroupChange>(&event)) {
      ToProto(group->group, group->index, out.mutable_group());
    }
    send(out);
  });
  if (!run) {
    return grpc::Status(run.error().invalid ? grpc::StatusCode::INVALID_ARGUMENT : grpc::StatusCode::UNAVAILABLE,
                        run.error().message);
  }
  v1::WorkflowEvent result;
  ToProto(*run, result.mutable_result());
  return result;
}

// The streaming methods of sloth.v1.Agent, a row each: how a call begins on the completion-queue
// thread, and the work a worker then does for it.
void ListenForStreamingCalls(CallQueue& queue) {
  using Svc = v1::Agent::AsyncService;
  ListenStream<v1::RunTaskRequest, v1::RunTaskEvent>(
      queue, &Svc::RequestRunTask,
      [](ControlService& control, const Caller& caller,
         const v1::RunTaskRequest& request) -> Result<StreamWork<v1::RunTaskEvent>, StreamEnding<v1::RunTaskEvent>> {
        TaskSpec spec;
        if (grpc::Status checked = control.CheckRunTask(request, &spec); !checked.ok()) return {checked};
        // Admitted here; the worker spawns the task, follows it to its end and writes its events
        // (the started event too: kStartedEventDelay).
        auto begun = control.BeginRunTask(caller, std::move(spec));
        if (!begun) return {begun.error()};  // refused: no task, the status says why
        auto started = std::make_shared<TaskRunner::Started>(std::move(begun).value());
        return StreamWork<v1::RunTaskEvent>([&control, started](const EventSender<v1::RunTaskEvent>& send) {
          return StreamEnding<v1::RunTaskEvent>(control.CompleteRunTask(std::move(*started), send));
        });
      },
      kMaxQueuedTaskEventBytes);
  ListenStream<v1::RunWorkflowRequest, v1::WorkflowEvent>(
      queue, &Svc::RequestRunWorkflow,
      [](ControlService& control, const Caller& caller, const v1::RunWorkflowRequest& request)
          -> Result<StreamWork<v1::WorkflowEvent>, StreamEnding<v1::WorkflowEvent>> {
        // The file is parsed on the worker: a large one must not hold the completion queue.
        return StreamWork<v1::WorkflowEvent>(
            [&control, caller, request](const EventSender<v1::WorkflowEvent>& send) -> StreamEnding<v1::WorkflowEvent> {
              auto result = control.RunWorkflow(caller, request, send);
              if (!result) return result.error();
              return std::move(result).value();
            });
      },
      kUnboundedEventBytes);
}

// The unary methods of sloth.v1.Agent, a row each: the method, and its request translated to
// ControlApi and the answer back. RunTask streams: grpc_front_end.cc serves it.
void ListenForUnaryCalls(CallQueue& queue) {
  using Svc = v1::Agent::AsyncService;
  ListenUnary<v1::GetInfoRequest, v1::AgentInfo>(
      queue, &Svc::RequestGetInfo, [](ControlApi& api, const Caller& caller, const auto&, v1::AgentInfo* reply) {
        ToProto(api.GetInfo(caller), reply);
        return grpc::Status::OK;
      });
  ListenUnary<v1::GetHealthRequest, v1::Health>(
      queue, &Svc::RequestGetHealth, [](ControlApi& api, const Caller& caller, const auto&, v1::Health* reply) {
        const auto reason = api.GetHealth(caller);
        reply->set_healthy(!reason);
        if (reason) reply->set_reason(*reason);
        return grpc::Status::OK;
      });
  ListenUnary<v1::ListTasksRequest, v1::ListTasksResponse>(
      queue, &Svc::RequestListTasks,
      [](ControlApi& api, const Caller& caller, const v1::ListTasksRequest& request, v1::ListTasksResponse* reply) {
        for (const TaskResult& task : api.ListTasks(caller)) {
          ToProto(task, request.include_output(), reply->add_tasks());
        }
        for (const WorkflowRunResult& run : api.ListWorkflowRuns(caller)) ToProto(run, reply->add_workflow_runs());
        return grpc::Status::OK;
      });
  ListenUnary<v1::CancelTaskRequest, v1::CancelTaskResponse>(
      queue, &Svc::RequestCancelTask,
      [](ControlApi& api, const Caller& caller, const v1::CancelTaskRequest& request, v1::CancelTaskResponse* reply) {
        if (request.id().empty()) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "task id is empty");
        const auto cancelled = api.CancelTask(caller, request.id());
        reply->set_cancelled(cancelled.ok());
        if (!cancelled) reply->set_reason(cancelled.error().reason);
        return grpc::Status::OK;
      });
  ListenUnary<v1::GetMetricsRequest, v1::Metrics>(
      queue, &Svc::RequestGetMetrics, [](ControlApi& api, const Caller& caller, const auto&, v1::Metrics* reply) {
        reply->set_text(api.GetMetrics(caller));
        reply->set_content_type("text/plain; version=0.0.4; charset=utf-8");
        return grpc::Status::OK;
      });
  ListenUnary<v1::ReloadRequest, v1::ReloadResponse>(
      queue, &Svc::RequestReload, [](ControlApi& api, const Caller& caller, const auto&, v1::ReloadResponse* reply) {
        auto reloaded = api.Reload(caller);
        if (!reloaded) return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, reloaded.error().message);
        reply->set_loaded_from(reloaded->loaded_from);
        for (const auto& note : reloaded->notes) reply->add_notes(note);
        return grpc::Status::OK;
      });
}

}  // namespace sloth
