#include "ctl/clients/dbus_agent_client.h"

#include <map>
#include <vector>

#include <fmt/format.h>
#include <sdbus-c++/sdbus-c++.h>

#include "ctl/clients/dbus_values.h"

namespace sloth::ctl {
namespace {

constexpr const char* kBusName = "org.slothrunner.Agent1";
constexpr const char* kObjectPath = "/org/slothrunner/Agent1";
constexpr const char* kInterface = "org.slothrunner.Agent1";

using Dict = DbusDict;
using TaskRow =
    sdbus::Struct<std::string, std::string, std::string, std::string, std::string, int32_t, double, int64_t>;

// A call of org.slothrunner.Agent1 with the client's timeout. The invoker keeps a reference to
// `method`: the caller's string must outlive the statement that makes the call.
sdbus::MethodInvoker Invoke(sdbus::IProxy& proxy, const std::string& method, std::chrono::milliseconds timeout) {
  sdbus::MethodInvoker invoker = proxy.callMethod(method);
  invoker.onInterface(kInterface).withTimeout(timeout);
  return invoker;
}

// How one unary call of sloth.v1.Agent is made on the bus; throws sdbus::Error.
using Row = std::function<void(sdbus::IProxy& proxy, std::chrono::milliseconds timeout,
                               const google::protobuf::Message& request, google::protobuf::Message* reply)>;

template <class Request, class Reply>
Row Typed(void (*call)(sdbus::IProxy&, std::chrono::milliseconds, const Request&, Reply*)) {
  return [call](sdbus::IProxy& proxy, std::chrono::milliseconds timeout, const google::protobuf::Message& request,
                google::protobuf::Message* reply) {
    call(proxy, timeout, static_cast<const Request&>(request), static_cast<Reply*>(reply));
  };
}

void GetInfo(sdbus::IProxy& proxy, std::chrono::milliseconds timeout, const v1::GetInfoRequest&, v1::AgentInfo* info) {
  Dict d;
  Invoke(proxy, "GetInfo", timeout).storeResultsTo(d);
  info->set_name(DbusGet<std::string>(d, "name"));
  info->set_version(DbusGet<std::string>(d, "version"));
  info->set_commit(DbusGet<std::string>(d, "commit"));
  info->set_compiler(DbusGet<std::string>(d, "compiler"));
  info->set_os(DbusGet<std::string>(d, "os"));
  info->set_arch(DbusGet<std::string>(d, "arch"));
  info->set_pid(DbusGet<int32_t>(d, "pid"));
  info->set_start_time_unix_ms(DbusGet<int64_t>(d, "start_time_unix_ms"));
  info->set_uptime_seconds(DbusGet<double>(d, "uptime_seconds"));
  info->set_master(DbusGet<std::string>(d, "master"));
  info->set_metrics_url(DbusGet<std::string>(d, "metrics_url"));
  info->set_control_socket(DbusGet<std::string>(d, "control_socket"));
  info->set_tasks_running(DbusGet<uint32_t>(d, "tasks_running"));
  info->set_task_isolation(DbusGet<std::string>(d, "task_isolation"));
  info->set_task_user(DbusGet<std::string>(d, "task_user"));
  info->set_memory_max_not_enforced(DbusGet<std::string>(d, "memory_max_not_enforced"));
  info->set_cpu_quota_not_enforced(DbusGet<std::string>(d, "cpu_quota_not_enforced"));
  info->set_tasks_max_not_enforced(DbusGet<std::string>(d, "tasks_max_not_enforced"));
}

// The interface has no health call: an agent that answers GetInfo on the bus is up.
void GetHealth(sdbus::IProxy& proxy, std::chrono::milliseconds timeout, const v1::GetHealthRequest&,
               v1::Health* health) {
  v1::AgentInfo info;
  try {
    GetInfo(proxy, timeout, {}, &info);
    health->set_healthy(true);
  } catch (const sdbus::Error& e) {
    health->set_healthy(false);
    health->set_reason(fmt::format("{}: {}", e.getName(), e.getMessage()));
  }
}

// The bus's ListTasks has no output (GetTask has): include_output is not asked for. ListTasksEx
// has every field; an agent without it gets ListTasks, whose rows have fewer.
void ListTasks(sdbus::IProxy& proxy, std::chrono::milliseconds timeout, const v1::ListTasksRequest&,
               v1::ListTasksResponse* tasks) {
  bool listed = false;
  try {
    std::vector<Dict> entries;
    Invoke(proxy, "ListTasksEx", timeout).storeResultsTo(entries);
    for (const Dict& d : entries) FillTask(d, tasks->add_tasks());
    listed = true;
  } catch (const sdbus::Error& e) {
    if (e.getName() != "org.freedesktop.DBus.Error.UnknownMethod") throw;
  }
  std::vector<TaskRow> rows;
  if (!listed) Invoke(proxy, "ListTasks", timeout).storeResultsTo(rows);
  for (const auto& row : rows) {
    v1::TaskResult* t = tasks->add_tasks();
    t->set_id(row.get<0>());
    t->set_name(row.get<1>());
    t->set_group(row.get<2>());
    t->set_status(TaskStatusFromDbus(row.get<3>()));
    t->set_reason(row.get<4>());
    t->set_exit_code(row.get<5>());
    t->set_duration_seconds(row.get<6>());
    t->set_start_time_unix_ms(row.get<7>());
  }
  // The workflow runs come from their own method (an agent without it has none to list).
  std::vector<Dict> runs;
  try {
    Invoke(proxy, "ListWorkflowRuns", timeout).storeResultsTo(runs);
  } catch (const sdbus::Error& e) {
    if (std::string_view(e.getName()) != "org.freedesktop.DBus.Error.UnknownMethod") throw;
  }
  for (const Dict& run : runs) FillWorkflowRun(run, tasks->add_workflow_runs());
}

void CancelTask(sdbus::IProxy& proxy, std::chrono::milliseconds timeout, const v1::CancelTaskRequest& request,
                v1::CancelTaskResponse* response) {
  try {
    bool cancelled = false;
    Invoke(proxy, "CancelTask", timeout).withArguments(request.id()).storeResultsTo(cancelled);
    response->set_cancelled(cancelled);
    if (!cancelled) response->set_reason(fmt::format("task {} already finished", request.id()));
  } catch (const sdbus::Error& e) {
    if (!std::string(e.getName()).ends_with(".UnknownTask")) throw;
    response->set_cancelled(false);
    response->set_reason(e.getMessage());
  }
}

void GetMetrics(sdbus::IProxy& proxy, std::chrono::milliseconds timeout, const v1::GetMetricsRequest&,
                v1::Metrics* metrics) {
  std::string text;
  Invoke(proxy, "GetMetrics", timeout).storeResultsTo(text);
  metrics->set_text(std::move(text));
  metrics->set_content_type("text/plain; version=0.0.4; charset=utf-8");
}

void Reload(sdbus::IProxy& proxy, std::chrono::milliseconds timeout, const v1::ReloadRequest&,
            v1::ReloadResponse* response) {
  std::string loaded_from;
  std::vector<std::string> notes;
  Invoke(proxy, "Reload", timeout).storeResultsTo(loaded_from, notes);
  response->set_loaded_from(std::move(loaded_from));
  for (auto& note : notes) response->add_notes(std::move(note));
}

// The unary calls of sloth.v1.Agent on the bus, a row each.
const std::map<std::string_view, Row>& Rows() {
  static const std::map<std::string_view, Row> rows = {
      {"GetInfo", Typed(&GetInfo)},       {"GetHealth", Typed(&GetHealth)},   {"ListTasks", Typed(&ListTasks)},
      {"CancelTask", Typed(&CancelTask)}, {"GetMetrics", Typed(&GetMetrics)}, {"Reload", Typed(&Reload)},
  };
  return rows;
}

}  // namespace

CallError CallErrorFromDbus(std::string_view name, std::string_view message) {
  CallCode code = CallCode::kFailed;
  if (name == "org.freedesktop.DBus.Error.ServiceUnknown" || name == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
      name == "org.freedesktop.DBus.Error.NoReply" || name == "org.freedesktop.DBus.Error.Disconnected") {
    code = CallCode::kUnavailable;
  } else if (name == "org.freedesktop.DBus.Error.AccessDenied" ||
             name == "org.slothrunner.Agent1.Error.UserNotAllowed") {
    code = CallCode::kPermissionDenied;
  } else if (name == "org.slothrunner.Agent1.Error.QueueFull") {
    code = CallCode::kResourceExhausted;
  } else if (name == "org.slothrunner.Agent1.Error.Refused") {
    code = CallCode::kUnavailable;  // the agent is stopping
  } else if (name == "org.freedesktop.DBus.Error.InvalidArgs") {
    code = CallCode::kInvalidArgument;
  } else if (name == "org.freedesktop.DBus.Error.Timeout" || name == "org.freedesktop.DBus.Error.TimedOut") {
    code = CallCode::kDeadline;
  } else if (name == "org.freedesktop.DBus.Error.UnknownMethod") {
    code = CallCode::kUnimplemented;
  }
  return {code, fmt::format("{}: {}", name, message)};
}

DbusAgentClient::DbusAgentClient(std::chrono::milliseconds call_timeout) : call_timeout_(call_timeout) {}

// The proxy's event-loop thread runs the TaskFinished handler, which writes finished_: stop that
// thread (by destroying the proxy) before the members it writes are destroyed.
DbusAgentClient::~DbusAgentClient() { proxy_.reset(); }

Result<void, CallError> DbusAgentClient::Connect(std::chrono::milliseconds timeout) {
  try {
    auto connection = sdbus::createSystemBusConnection();
    bool has_owner = false;
    auto bus = sdbus::createProxy(*connection, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    bus->callMethod("NameHasOwner")
        .onInterface("org.freedesktop.DBus")
        .withTimeout(timeout)
        .withArguments(std::string(kBusName))
        .storeResultsTo(has_owner);
    if (!has_owner) {
      return CallError{CallCode::kUnavailable,
                       fmt::format("{} is not on the system bus (is slothd running, with D-Bus?)", kBusName)};
    }
    // The proxy owns the connection and runs its event loop, for the TaskFinished signal.
    proxy_ = sdbus::createProxy(std::move(connection), kBusName, kObjectPath);
    proxy_->uponSignal("TaskFinished")
        .onInterface(kInterface)
        .call(
            [this](const std::string& id, const std::string&, const std::string&, const std::string& status, int32_t) {
              std::lock_guard lock(mutex_);
              finished_[id] = status;
              changed_.notify_all();
            });
    proxy_->uponSignal("WorkflowTaskChanged")
        .onInterface(kInterface)
        .call([this](const std::string& run_id, uint32_t index, const std::string& group, const std::string& name,
                     const std::string& status, uint32_t attempts, const std::string& reason,
                     const std::string& task_id, int32_t exit_code, int64_t start_time_unix_ms,
                     double duration_seconds) {
          v1::WorkflowEvent event;
          v1::WorkflowTask* task = event.mutable_task();
          task->set_index(index);
          task->set_group(group);
          task->set_name(name);
          task->set_status(TaskStatusFromDbus(status));
          task->set_attempts(attempts);
          task->set_reason(reason);
          if (!task_id.empty()) {
            task->mutable_last()->set_id(task_id);
            task->mutable_last()->set_exit_code(exit_code);
            task->mutable_last()->set_start_time_unix_ms(start_time_unix_ms);
            task->mutable_last()->set_duration_seconds(duration_seconds);
            if (task->status() != v1::TASK_STATUS_RUNNING) {
              task->mutable_last()->set_end_time_unix_ms(start_time_unix_ms +
                                                         static_cast<int64_t>(duration_seconds * 1000));
            }
          }
          KeepRunEvent(run_id, std::move(event));
        });
    proxy_->uponSignal("WorkflowGroupChanged")
        .onInterface(kInterface)
        .call([this](const std::string& run_id, uint32_t index, const std::string& name, const std::string& status,
                     double duration_seconds) {
          v1::WorkflowEvent event;
          event.mutable_group()->set_index(index);
          event.mutable_group()->set_name(name);
          event.mutable_group()->set_status(TaskStatusFromDbus(status));
          event.mutable_group()->set_duration_seconds(duration_seconds);
          KeepRunEvent(run_id, std::move(event));
        });
    proxy_->uponSignal("WorkflowFinished")
        .onInterface(kInterface)
        .call([this](const std::string& run_id, const std::string&, const std::string&) {
          v1::WorkflowEvent event;
          event.mutable_result()->set_id(run_id);  // the whole result comes from GetWorkflowRun
          KeepRunEvent(run_id, std::move(event));
        });
    proxy_->finishRegistration();
  } catch (const sdbus::Error& e) {
    return CallError{CallCode::kUnavailable, fmt::format("{} ({})", e.getMessage(), e.getName())};
  }
  return {};
}

Result<void, CallError> DbusAgentClient::Unary(std::string_view method, const google::protobuf::Message& request,
                                               google::protobuf::Message* reply) {
  const auto row = Rows().find(method);
  if (row == Rows().end()) {
    return CallError{CallCode::kUnimplemented, fmt::format("{} has no D-Bus counterpart", method)};
  }
  try {
    row->second(*proxy_, call_timeout_, request, reply);
  } catch (const sdbus::Error& e) {
    return CallErrorFromDbus(e.getName(), e.getMessage());
  }
  return {};
}

Result<void, CallError> DbusAgentClient::RunTask(const v1::RunTaskRequest& request, RunHandle& handle,
                                                 const std::function<void(const v1::RunTaskEvent&)>& on_event) {
  std::string id;
  try {
    std::map<std::string, std::string> env(request.env().begin(), request.env().end());
    Dict options;
    for (const auto& [key, value] :
         {std::pair{"user", &request.user()}, std::pair{"memory_max", &request.memory_max()},
          std::pair{"cpu_quota", &request.cpu_quota()}, std::pair{"tasks_max", &request.tasks_max()}}) {
      if (!value->empty()) options[key] = *value;
    }
    // RunTask where it is enough, so that an agent without RunTaskEx still runs plain tasks.
    if (options.empty()) {
      Invoke(*proxy_, "RunTask", call_timeout_)
          .withArguments(request.command(), request.name(), request.group(), env,
                         static_cast<uint64_t>(request.timeout_ms()))
          .storeResultsTo(id);
    } else {
      Invoke(*proxy_, "RunTaskEx", call_timeout_)
          .withArguments(request.command(), request.name(), request.group(), env,
                         static_cast<uint64_t>(request.timeout_ms()), options)
          .storeResultsTo(id);
    }
  } catch (const sdbus::Error& e) {
    return CallErrorFromDbus(e.getName(), e.getMessage());
  }
  v1::RunTaskEvent started;
  started.mutable_started()->set_id(id);
  on_event(started);
  bool abandoned = false;  // guarded by mutex_
  handle.Attach([&] {
    std::lock_guard lock(mutex_);
    abandoned = true;
    changed_.notify_all();
  });
  bool finished = false;
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return finished_.count(id) > 0 || abandoned; });
    finished = finished_.count(id) > 0;
  }
  handle.Detach();
  if (!finished) return CallError{CallCode::kCancelled, "stopped waiting for the task"};
  try {
    Dict d;
    Invoke(*proxy_, "GetTask", call_timeout_).withArguments(id).storeResultsTo(d);
    const auto output = DbusGet<std::vector<uint8_t>>(d, "output");
    if (!output.empty()) {
      v1::RunTaskEvent chunk;
      chunk.mutable_output()->set_stream(v1::OutputChunk::STREAM_STDOUT);
      chunk.mutable_output()->set_data(std::string(output.begin(), output.end()));
      on_event(chunk);
    }
    v1::RunTaskEvent result;
    FillTask(d, result.mutable_result());
    on_event(result);
  } catch (const sdbus::Error& e) {
    return CallErrorFromDbus(e.getName(), e.getMessage());
  }
  return {};
}

namespace {

// The order of a task's changes: its attempt, then queued < running < final. A signal handled
// after GetWorkflowRun may be older than what that returned; it must not take the task back.
std::pair<uint32_t, int> Progress(const v1::WorkflowTask& task) {
  const int stage = task.status() == v1::TASK_STATUS_QUEUED ? 0 : task.status() == v1::TASK_STATUS_RUNNING ? 1 : 2;
  return {task.attempts(), stage};
}

}  // namespace

void DbusAgentClient::FetchRun(const std::string& id, v1::WorkflowRun* run) {
  Dict dict;
  Invoke(*proxy_, "GetWorkflowRun", call_timeout_).withArguments(id).storeResultsTo(dict);
  FillWorkflowRun(dict, run);
}

void DbusAgentClient::KeepRunEvent(const std::string& run_id, v1::WorkflowEvent event) {
  std::lock_guard lock(mutex_);
  if (!following_run_) return;
  run_events_.emplace_back(run_id, std::move(event));
  changed_.notify_all();
}

Result<void, CallError> DbusAgentClient::RunWorkflow(const v1::RunWorkflowRequest& request, RunHandle& handle,
                                                     const std::function<void(const v1::WorkflowEvent&)>& on_event) {
  {
    std::lock_guard lock(mutex_);
    following_run_ = true;
    run_events_.clear();
  }
  struct StopFollowing {
    DbusAgentClient& client;
    ~StopFollowing() {
      std::lock_guard lock(client.mutex_);
      client.following_run_ = false;
      client.run_events_.clear();
    }
  } stop_following{*this};
  std::string id;
  v1::WorkflowEvent started;
  try {
    std::vector<sdbus::Struct<std::string, std::string>> values;
    for (const auto& v : request.values()) values.emplace_back(v.name(), v.text());
    const std::vector<std::string> sets(request.set().begin(), request.set().end());
    const std::vector<std::string> groups(request.groups().begin(), request.groups().end());
    Invoke(*proxy_, "RunWorkflow", call_timeout_)
        .withArguments(request.file().name(), request.file().text(), values, sets, groups)
        .storeResultsTo(id);
    FetchRun(id, started.mutable_started());
  } catch (const sdbus::Error& e) {
    return CallErrorFromDbus(e.getName(), e.getMessage());
  }
  on_event(started);
  std::vector<std::pair<uint32_t, int>> progress;
  for (const auto& task : started.started().tasks()) progress.push_back(Progress(task));

  bool abandoned = false;  // guarded by mutex_
  handle.Attach([&] {
    std::lock_guard lock(mutex_);
    abandoned = true;
    changed_.notify_all();
  });
  bool finished = false;
  while (!finished) {
    std::deque<std::pair<std::string, v1::WorkflowEvent>> events;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !run_events_.empty() || abandoned; });
      if (abandoned) break;
      events.swap(run_events_);
    }
    for (auto& [run_id, event] : events) {
      if (run_id != id) continue;
      if (event.has_result()) {
        finished = true;
        break;
      }
      if (event.has_task()) {
        const uint32_t index = event.task().index();
        if (index >= progress.size() || Progress(event.task()) < progress[index]) continue;
        progress[index] = Progress(event.task());
      }
      on_event(event);
    }
  }
  handle.Detach();
  if (!finished) return CallError{CallCode::kCancelled, "stopped waiting for the workflow run"};
  try {
    v1::WorkflowEvent result;
    FetchRun(id, result.mutable_result());
    on_event(result);
  } catch (const sdbus::Error& e) {
    return CallErrorFromDbus(e.getName(), e.getMessage());
  }
  return {};
}

}  // namespace sloth::ctl
