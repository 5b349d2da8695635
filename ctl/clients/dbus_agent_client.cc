#include "ctl/clients/dbus_agent_client.h"

#include <map>
#include <vector>

#include <fmt/format.h>
#include <sdbus-c++/sdbus-c++.h>

namespace sloth::ctl {
namespace {

constexpr const char* kBusName = "org.slothrunner.Agent1";
constexpr const char* kObjectPath = "/org/slothrunner/Agent1";
constexpr const char* kInterface = "org.slothrunner.Agent1";

using Dict = std::map<std::string, sdbus::Variant>;
using TaskRow =
    sdbus::Struct<std::string, std::string, std::string, std::string, std::string, int32_t, double, int64_t>;

template <typename T>
T Get(const Dict& d, const char* key, T fallback = {}) {
  auto it = d.find(key);
  if (it == d.end()) return fallback;
  try {
    return it->second.get<T>();
  } catch (const sdbus::Error&) {
    return fallback;
  }
}

v1::TaskStatus StatusOf(const std::string& s) {
  if (s == "queued") return v1::TASK_STATUS_QUEUED;
  if (s == "running") return v1::TASK_STATUS_RUNNING;
  if (s == "success") return v1::TASK_STATUS_SUCCESS;
  if (s == "failed") return v1::TASK_STATUS_FAILED;
  if (s == "skipped") return v1::TASK_STATUS_SKIPPED;
  return v1::TASK_STATUS_UNSPECIFIED;
}

void FillTask(const Dict& d, v1::TaskResult* t) {
  t->set_id(Get<std::string>(d, "id"));
  t->set_name(Get<std::string>(d, "name"));
  t->set_group(Get<std::string>(d, "group"));
  t->set_command(Get<std::string>(d, "command"));
  t->set_status(StatusOf(Get<std::string>(d, "status")));
  t->set_exit_code(Get<int32_t>(d, "exit_code", -1));
  t->set_signal(Get<int32_t>(d, "signal"));
  t->set_timed_out(Get<bool>(d, "timed_out"));
  t->set_cancelled(Get<bool>(d, "cancelled"));
  t->set_reason(Get<std::string>(d, "reason"));
  t->set_duration_seconds(Get<double>(d, "duration_seconds"));
  t->set_start_time_unix_ms(Get<int64_t>(d, "start_time_unix_ms"));
  t->set_end_time_unix_ms(Get<int64_t>(d, "end_time_unix_ms"));
  t->set_output_truncated(Get<bool>(d, "output_truncated"));
  t->set_output_bytes(Get<uint64_t>(d, "output_bytes"));
  t->set_user(Get<std::string>(d, "user"));
  t->set_unit(Get<std::string>(d, "unit"));
  v1::TaskUsage* usage = t->mutable_usage();
  usage->set_measured(Get<bool>(d, "usage_measured"));
  usage->set_cpu_seconds(Get<double>(d, "cpu_seconds"));
  usage->set_memory_peak_bytes(Get<uint64_t>(d, "memory_peak_bytes"));
  usage->set_memory_peak_whole_task(Get<bool>(d, "memory_peak_whole_task"));
  t->set_limits_not_enforced(Get<std::string>(d, "limits_not_enforced"));
}

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
  info->set_name(Get<std::string>(d, "name"));
  info->set_version(Get<std::string>(d, "version"));
  info->set_commit(Get<std::string>(d, "commit"));
  info->set_compiler(Get<std::string>(d, "compiler"));
  info->set_os(Get<std::string>(d, "os"));
  info->set_arch(Get<std::string>(d, "arch"));
  info->set_pid(Get<int32_t>(d, "pid"));
  info->set_start_time_unix_ms(Get<int64_t>(d, "start_time_unix_ms"));
  info->set_uptime_seconds(Get<double>(d, "uptime_seconds"));
  info->set_master(Get<std::string>(d, "master"));
  info->set_metrics_url(Get<std::string>(d, "metrics_url"));
  info->set_control_socket(Get<std::string>(d, "control_socket"));
  info->set_tasks_running(Get<uint32_t>(d, "tasks_running"));
  info->set_task_isolation(Get<std::string>(d, "task_isolation"));
  info->set_task_user(Get<std::string>(d, "task_user"));
  info->set_memory_max_not_enforced(Get<std::string>(d, "memory_max_not_enforced"));
  info->set_cpu_quota_not_enforced(Get<std::string>(d, "cpu_quota_not_enforced"));
  info->set_tasks_max_not_enforced(Get<std::string>(d, "tasks_max_not_enforced"));
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
  try {
    std::vector<Dict> entries;
    Invoke(proxy, "ListTasksEx", timeout).storeResultsTo(entries);
    for (const Dict& d : entries) FillTask(d, tasks->add_tasks());
    return;
  } catch (const sdbus::Error& e) {
    if (e.getName() != "org.freedesktop.DBus.Error.UnknownMethod") throw;
  }
  std::vector<TaskRow> rows;
  Invoke(proxy, "ListTasks", timeout).storeResultsTo(rows);
  for (const auto& row : rows) {
    v1::TaskResult* t = tasks->add_tasks();
    t->set_id(row.get<0>());
    t->set_name(row.get<1>());
    t->set_group(row.get<2>());
    t->set_status(StatusOf(row.get<3>()));
    t->set_reason(row.get<4>());
    t->set_exit_code(row.get<5>());
    t->set_duration_seconds(row.get<6>());
    t->set_start_time_unix_ms(row.get<7>());
  }
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
  } else if (name == "org.freedesktop.DBus.Error.AccessDenied") {
    code = CallCode::kPermissionDenied;
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
    const auto output = Get<std::vector<uint8_t>>(d, "output");
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

}  // namespace sloth::ctl
