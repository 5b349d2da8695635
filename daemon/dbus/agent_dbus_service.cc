#include "daemon/dbus/agent_dbus_service.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <vector>

#include <fmt/format.h>
#include <sdbus-c++/sdbus-c++.h>

#include "agent1_adaptor.h"  // generated from proto/org.slothrunner.Agent1.xml
#include "daemon/dbus/dbus_values.h"

namespace sloth {
namespace {

constexpr const char* kErrorInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
constexpr const char* kErrorUnknownTask = "org.slothrunner.Agent1.Error.UnknownTask";
constexpr const char* kErrorRefused = "org.slothrunner.Agent1.Error.Refused";
constexpr const char* kErrorQueueFull = "org.slothrunner.Agent1.Error.QueueFull";
constexpr const char* kErrorUserNotAllowed = "org.slothrunner.Agent1.Error.UserNotAllowed";
constexpr const char* kErrorReloadFailed = "org.slothrunner.Agent1.Error.ReloadFailed";
constexpr const char* kErrorInternal = "org.slothrunner.Agent1.Error.Internal";

// A refused task's error: its own name for a full queue and a user not allowed, InvalidArgs, or
// Refused (the agent is stopping).
const char* RefusalError(RefusalKind kind) {
  switch (kind) {
    case RefusalKind::kQueueFull: return kErrorQueueFull;
    case RefusalKind::kStopping: return kErrorRefused;
    case RefusalKind::kInvalid: return kErrorInvalidArgs;
    case RefusalKind::kUserNotAllowed: return kErrorUserNotAllowed;
  }
  return kErrorRefused;
}

// The bus daemon answers GetConnectionCredentials from memory; this only bounds a sick bus.
constexpr auto kCredentialsTimeout = std::chrono::seconds(2);

}  // namespace

// The exported object: each generated handler translates and calls ControlApi. Runs on the bus
// thread (property getters also on the thread emitting PropertiesChanged).
class AgentDbusService::Object final : public sdbus::AdaptorInterfaces<org::slothrunner::Agent1_adaptor> {
 public:
  Object(sdbus::IConnection& bus, ControlApi& api, Logger& log, AgentDbusService& service)
      : AdaptorInterfaces(bus, kObjectPath),
        bus_driver_(sdbus::createProxy(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus")),
        api_(api),
        log_(log),
        service_(service) {
    // The identity does not change while the agent runs (a new name needs a restart: doc/ARCHITECTURE.md §7).
    const AgentInfo info = api_.GetInfo(Caller{"dbus", -1, -1});
    name_ = ValidUtf8(info.identity.name);
    version_ = ValidUtf8(info.identity.version);
    registerAdaptor();
  }
  ~Object() { unregisterAdaptor(); }

  using Agent1_adaptor::emitTaskFinished;
  using Agent1_adaptor::emitWorkflowFinished;
  using Agent1_adaptor::emitWorkflowGroupChanged;
  using Agent1_adaptor::emitWorkflowTaskChanged;
  void EmitTasksRunningChanged() {
    getObject().emitPropertiesChangedSignal(INTERFACE_NAME, std::vector<std::string>{"TasksRunning"});
  }

 private:
  // The uid and pid of the client whose call is being handled, as the bus daemon recorded them
  // when the client connected (SO_PEERCRED): nothing the client can forge, and no reading of
  // /proc/PID, which slothd.service hides (ProtectProc=invisible). -1 when the bus does not say.
  Caller CurrentCaller() {
    Caller caller{"dbus"};
    const sdbus::Message* message = getObject().getCurrentlyProcessedMessage();
    if (message == nullptr) return caller;
    const std::string sender = message->getSender();
    try {
      std::map<std::string, sdbus::Variant> creds;
      bus_driver_->callMethod("GetConnectionCredentials")
          .onInterface("org.freedesktop.DBus")
          .withArguments(sender)
          .withTimeout(kCredentialsTimeout)
          .storeResultsTo(creds);
      if (auto it = creds.find("UnixUserID"); it != creds.end()) caller.uid = it->second.get<uint32_t>();
      if (auto it = creds.find("ProcessID"); it != creds.end()) caller.pid = it->second.get<uint32_t>();
    } catch (const sdbus::Error& e) {
      log_.Warning(fmt::format("D-Bus: no credentials for caller {}: {}", sender, e.getMessage()));
    }
    return caller;
  }

  // Runs one call's handler with its caller. sdbus-c++ turns sdbus::Error into a D-Bus error
  // reply; anything else must not escape into the bus thread's C callbacks.
  template <typename F>
  auto Serve(const char* method, F&& handler) -> decltype(handler(Caller{})) {
    try {
      return handler(CurrentCaller());
    } catch (const sdbus::Error&) {
      throw;
    } catch (const std::exception& e) {
      log_.Error(fmt::format("D-Bus {} failed: {}", method, e.what()));
      throw sdbus::Error(kErrorInternal, fmt::format("{} failed inside slothd: {}", method, e.what()));
    }
  }

  // The methods of org.slothrunner.Agent1, a row each: arguments translated to ControlApi, the
  // answer or the error back.
  std::map<std::string, sdbus::Variant> GetInfo() override {
    return Serve("GetInfo", [&](const Caller& caller) { return ToDbus(api_.GetInfo(caller)); });
  }

  std::string RunTask(const std::string& command, const std::string& name, const std::string& group,
                      const std::map<std::string, std::string>& env, const uint64_t& timeout_ms) override {
    return RunTaskEx(command, name, group, env, timeout_ms, {});
  }

  std::string RunTaskEx(const std::string& command, const std::string& name, const std::string& group,
                        const std::map<std::string, std::string>& env, const uint64_t& timeout_ms,
                        const std::map<std::string, sdbus::Variant>& options) override {
    return Serve("RunTask", [&](const Caller& caller) {
      auto with_options = TaskSpecFromOptions(TaskSpec{.command = command,
                                                       .name = name,
                                                       .group = group,
                                                       .workdir = {},  // the interface has none: the agent's
                                                       .env = {env.begin(), env.end()},
                                                       .timeout = TimeoutFromMillis(timeout_ms),
                                                       .user = {},
                                                       .limits = {},
                                                       .workflow = {},  // an ad-hoc task
                                                       .run_id = {}},
                                              options);
      if (!with_options) throw sdbus::Error(kErrorInvalidArgs, ValidUtf8(with_options.error().message));
      auto spec = CheckedTaskSpec(std::move(with_options).value());
      if (!spec) throw sdbus::Error(kErrorInvalidArgs, ValidUtf8(spec.error().message));
      // Starts on a runner worker: the bus thread is never held by a running task.
      auto started = api_.StartTask(caller, std::move(spec).value());
      if (!started) {
        throw sdbus::Error(RefusalError(started.error().kind), ValidUtf8("task refused: " + started.error().reason));
      }
      return *started;
    });
  }

  std::map<std::string, sdbus::Variant> GetTask(const std::string& id) override {
    return Serve("GetTask", [&](const Caller& caller) {
      auto task = api_.GetTask(caller, id);
      if (!task)
        throw sdbus::Error(kErrorUnknownTask, ValidUtf8(fmt::format("no task with id {} (see ListTasks)", id)));
      return ToDbus(*task);
    });
  }

  std::vector<TaskRow> ListTasks() override {
    return Serve("ListTasks", [&](const Caller& caller) {
      std::vector<TaskRow> rows;
      for (const TaskResult& r : api_.ListTasks(caller)) rows.push_back(ToRow(r));
      return rows;
    });
  }

  std::vector<std::map<std::string, sdbus::Variant>> ListTasksEx() override {
    return Serve("ListTasksEx", [&](const Caller& caller) {
      std::vector<std::map<std::string, sdbus::Variant>> tasks;
      for (const TaskResult& r : api_.ListTasks(caller)) tasks.push_back(ToDbusWithoutOutput(r));
      return tasks;
    });
  }

  bool CancelTask(const std::string& id) override {
    return Serve("CancelTask", [&](const Caller& caller) {
      const auto cancelled = api_.CancelTask(caller, id);
      if (!cancelled && cancelled.error().unknown) {
        throw sdbus::Error(kErrorUnknownTask, ValidUtf8(cancelled.error().reason));
      }
      return cancelled.ok();
    });
  }

  std::string RunWorkflow(const std::string& file_name, const std::string& file_text,
                          const std::vector<sdbus::Struct<std::string, std::string>>& values,
                          const std::vector<std::string>& set, const std::vector<std::string>& groups) override {
    return Serve("RunWorkflow", [&](const Caller& caller) {
      WorkflowSource source;
      source.file = {file_name, file_text};
      for (const auto& named : values) source.values_files.push_back({named.get<0>(), named.get<1>()});
      source.sets = set;
      source.groups = groups;
      // Runs on a thread of the agent's: the bus thread is never held by a run.
      auto started = api_.StartWorkflow(
          caller, source, [this](const WorkflowEvent& event) { service_.OnWorkflowEvent(event); },
          [this](const WorkflowRunResult& run) { service_.OnWorkflowEnd(run); });
      if (!started) {
        throw sdbus::Error(started.error().invalid ? kErrorInvalidArgs : kErrorRefused,
                           ValidUtf8(started.error().message));
      }
      return *started;
    });
  }

  std::map<std::string, sdbus::Variant> GetWorkflowRun(const std::string& id) override {
    return Serve("GetWorkflowRun", [&](const Caller& caller) {
      auto run = api_.GetWorkflowRun(caller, id);
      if (!run) {
        throw sdbus::Error(kErrorUnknownTask, ValidUtf8(fmt::format("no workflow run with id {} (see ListTasks)", id)));
      }
      return ToDbus(*run);
    });
  }

  std::vector<std::map<std::string, sdbus::Variant>> ListWorkflowRuns() override {
    return Serve("ListWorkflowRuns", [&](const Caller& caller) {
      std::vector<std::map<std::string, sdbus::Variant>> runs;
      for (const WorkflowRunResult& run : api_.ListWorkflowRuns(caller)) runs.push_back(ToDbus(run));
      return runs;
    });
  }

  std::string GetMetrics() override {
    return Serve("GetMetrics", [&](const Caller& caller) { return ValidUtf8(api_.GetMetrics(caller)); });
  }

  std::tuple<std::string, std::vector<std::string>> Reload() override {
    return Serve("Reload", [&](const Caller& caller) {
      auto reloaded = api_.Reload(caller);
      if (!reloaded) throw sdbus::Error(kErrorReloadFailed, ValidUtf8(reloaded.error().message));
      std::vector<std::string> notes;
      for (const auto& note : reloaded->notes) notes.push_back(ValidUtf8(note));
      return std::tuple(ValidUtf8(reloaded->loaded_from), std::move(notes));
    });
  }

  // Properties are not audited per caller: they are read by the bus library, also when it
  // builds PropertiesChanged on a task's thread, where there is no call to attribute.
  std::string Name() override { return name_; }
  std::string Version() override { return version_; }
  double Uptime() override { return api_.GetInfo(Caller{"dbus", -1, -1}).uptime_seconds; }
  uint32_t TasksRunning() override { return api_.GetInfo(Caller{"dbus", -1, -1}).tasks_running; }

  std::unique_ptr<sdbus::IProxy> bus_driver_;  // org.freedesktop.DBus, for callers' credentials
  ControlApi& api_;
  Logger& log_;
  AgentDbusService& service_;  // emits the workflow signals, unless it is shut down
  std::string name_, version_;
};

AgentDbusService::AgentDbusService(ControlApi& api, Logger& log) : AgentDbusService(api, log, nullptr) {}

AgentDbusService::AgentDbusService(ControlApi& api, Logger& log, std::unique_ptr<sdbus::IConnection> bus)
    : log_(log), bus_(std::move(bus)) {
  const char* env_address = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  const std::string where = env_address != nullptr && *env_address != '\0'
                                ? fmt::format("system bus at {}", env_address)
                                : std::string("system bus");
  try {
    if (!bus_) bus_ = sdbus::createSystemBusConnection();
  } catch (const sdbus::Error& e) {
    throw DbusUnavailable(
        fmt::format("cannot connect to the {}: {} ({}); is dbus-daemon running?", where, e.getMessage(), e.getName()));
  }
  try {
    object_ = std::make_unique<Object>(*bus_, api, log, *this);
  } catch (const sdbus::Error& e) {
    throw DbusUnavailable(fmt::format("cannot export {} on the {}: {}", kObjectPath, where, e.getMessage()));
  }
  try {
    bus_->requestName(kBusName);
  } catch (const sdbus::Error& e) {
    throw DbusUnavailable(fmt::format(
        "cannot own {} on the {}: {} ({}); another slothd may own it, or the bus policy does not allow this user: "
        "install org.slothrunner.Agent1.conf into /usr/share/dbus-1/system.d and run slothd as user slothd or root",
        kBusName, where, e.getMessage(), e.getName()));
  }
  bus_->enterEventLoopAsync();
  log_.Info(fmt::format("D-Bus: {} {} on the {}", kBusName, kObjectPath, where));
}

AgentDbusService::~AgentDbusService() { Shutdown(); }

template <typename F>
void AgentDbusService::Emit(std::string_view what, F&& emit) {
  {
    std::lock_guard lock(state_mutex_);
    if (shut_down_ || !object_) return;
    ++emitting_;
  }
  try {
    emit(*object_);
  } catch (const sdbus::Error& e) {
    log_.Warning(fmt::format("D-Bus: cannot signal {}: {}", what, e.getMessage()));
  }
  {
    std::lock_guard lock(state_mutex_);
    --emitting_;
  }
  emitters_done_.notify_all();
}

void AgentDbusService::OnTaskChange(const TaskResult& task) {
  Emit("the change of task " + task.id, [&](Object& object) {
    if (IsFinished(task.status)) {
      object.emitTaskFinished(ValidUtf8(task.id), ValidUtf8(task.name), ValidUtf8(task.group),
                              std::string(TaskStatusName(task.status)), static_cast<int32_t>(task.exit_code));
    }
    object.EmitTasksRunningChanged();
  });
}

void AgentDbusService::OnWorkflowEvent(const WorkflowEvent& event) {
  if (const auto* change = std::get_if<WorkflowTaskChange>(&event)) {
    const WorkflowRunTask& task = change->task;
    Emit("a change in workflow run " + change->run_id, [&](Object& object) {
      object.emitWorkflowTaskChanged(
          ValidUtf8(change->run_id), static_cast<uint32_t>(change->index), ValidUtf8(task.group), ValidUtf8(task.name),
          std::string(TaskStatusName(task.status)), task.attempts, ValidUtf8(task.reason), ValidUtf8(task.last.id),
          static_cast<int32_t>(task.last.exit_code), UnixMillis(task.last.start_time),
          std::chrono::duration<double>(task.last.duration).count());
    });
  } else if (const auto* group = std::get_if<WorkflowGroupChange>(&event)) {
    Emit("a change in workflow run " + group->run_id, [&](Object& object) {
      object.emitWorkflowGroupChanged(ValidUtf8(group->run_id), static_cast<uint32_t>(group->index),
                                      ValidUtf8(group->group.name), std::string(TaskStatusName(group->group.status)),
                                      std::chrono::duration<double>(group->group.duration).count());
    });
  }  // the started event: GetWorkflowRun gives the run as it begins
}

void AgentDbusService::OnWorkflowEnd(const WorkflowRunResult& run) {
  Emit("the end of workflow run " + run.id, [&](Object& object) {
    object.emitWorkflowFinished(ValidUtf8(run.id), std::string(TaskStatusName(run.status)), ValidUtf8(run.reason));
  });
}

void AgentDbusService::Shutdown() {
  {
    std::unique_lock lock(state_mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    emitters_done_.wait(lock, [&] { return emitting_ == 0; });
  }
  if (!bus_) return;
  try {
    bus_->releaseName(kBusName);
  } catch (const sdbus::Error& e) {
    log_.Debug(fmt::format("D-Bus: releasing {}: {}", kBusName, e.getMessage()));
  }
  // Joins the bus thread; a call in progress finishes first (none waits on a task).
  bus_->leaveEventLoop();
  object_.reset();
}

}  // namespace sloth
