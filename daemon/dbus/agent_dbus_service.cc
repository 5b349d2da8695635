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

namespace sloth {
namespace {

constexpr const char* kErrorInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
constexpr const char* kErrorUnknownTask = "org.slothrunner.Agent1.Error.UnknownTask";
constexpr const char* kErrorRefused = "org.slothrunner.Agent1.Error.Refused";
constexpr const char* kErrorInternal = "org.slothrunner.Agent1.Error.Internal";

// The bus daemon answers GetConnectionCredentials from memory; this only bounds a sick bus.
constexpr auto kCredentialsTimeout = std::chrono::seconds(2);

// Longer timeouts are clamped so the conversion to Duration cannot overflow (about 31 years).
constexpr uint64_t kMaxTimeoutMs = 1'000'000'000'000;

// D-Bus strings must be valid UTF-8 (sd-bus refuses to send anything else), while agent names,
// task names and commands from other front ends are bytes: invalid sequences become U+FFFD.
std::string ValidUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len != 0 && i + len <= in.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(in[i + k]) >> 6) == 0x2;
    if (ok && len > 1) {
      uint32_t cp = c & (0xFF >> (len + 1));
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(in[i + k]) & 0x3F);
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (ok && c == 0) ok = false;  // NUL cannot travel in a D-Bus string either
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

int64_t UnixMillis(std::chrono::system_clock::time_point t) {
  if (t.time_since_epoch().count() == 0) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

std::map<std::string, sdbus::Variant> ToDbus(const AgentInfo& info) {
  std::map<std::string, sdbus::Variant> out;
  out["name"] = ValidUtf8(info.identity.name);
  out["version"] = ValidUtf8(info.identity.version);
  out["commit"] = ValidUtf8(info.identity.commit);
  out["compiler"] = ValidUtf8(info.identity.compiler);
  out["os"] = ValidUtf8(info.identity.os);
  out["arch"] = ValidUtf8(info.identity.arch);
  out["pid"] = static_cast<int32_t>(info.pid);
  out["start_time_unix_ms"] = UnixMillis(info.start_time);
  out["uptime_seconds"] = info.uptime_seconds;
  out["master"] = ValidUtf8(info.master);
  out["metrics_url"] = ValidUtf8(info.metrics_url);
  out["control_socket"] = ValidUtf8(info.control_socket);
  out["tasks_running"] = info.tasks_running;
  return out;
}

std::map<std::string, sdbus::Variant> ToDbus(const TaskResult& r) {
  std::map<std::string, sdbus::Variant> out;
  out["id"] = ValidUtf8(r.id);
  out["name"] = ValidUtf8(r.name);
  out["group"] = ValidUtf8(r.group);
  out["command"] = ValidUtf8(r.command);
  out["status"] = std::string(TaskStatusName(r.status));
  out["exit_code"] = static_cast<int32_t>(r.exit_code);
  out["signal"] = static_cast<int32_t>(r.signal);
  out["timed_out"] = r.timed_out;
  out["cancelled"] = r.cancelled;
  out["reason"] = ValidUtf8(r.reason);
  out["duration_seconds"] = Seconds(r.duration);
  out["start_time_unix_ms"] = UnixMillis(r.start_time);
  out["end_time_unix_ms"] = UnixMillis(r.end_time);
  out["output_truncated"] = r.output_truncated;
  out["output_bytes"] = static_cast<uint64_t>(r.output_bytes);
  out["output"] = std::vector<uint8_t>(r.kept_output.begin(), r.kept_output.end());
  return out;
}

using TaskRow =
    sdbus::Struct<std::string, std::string, std::string, std::string, std::string, int32_t, double, int64_t>;

TaskRow ToRow(const TaskResult& r) {
  return TaskRow{ValidUtf8(r.id),     ValidUtf8(r.name),
                 ValidUtf8(r.group),  std::string(TaskStatusName(r.status)),
                 ValidUtf8(r.reason), static_cast<int32_t>(r.exit_code),
                 Seconds(r.duration), UnixMillis(r.start_time)};
}

bool IsFinished(TaskStatus s) {
  return s == TaskStatus::kSuccess || s == TaskStatus::kFailed || s == TaskStatus::kSkipped;
}

}  // namespace

// The exported object: each generated handler translates and calls ControlApi. Runs on the bus
// thread (property getters also on the thread emitting PropertiesChanged).
class AgentDbusService::Object final : public sdbus::AdaptorInterfaces<org::slothrunner::Agent1_adaptor> {
 public:
  Object(sdbus::IConnection& bus, ControlApi& api, Logger& log, std::function<void()> reload)
      : AdaptorInterfaces(bus, kObjectPath),
        bus_driver_(sdbus::createProxy(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus")),
        api_(api),
        log_(log),
        reload_(std::move(reload)) {
    // The identity does not change while the agent runs (DESIGN: a new name needs a restart).
    const AgentInfo info = api_.GetInfo(Caller{"dbus", -1, -1});
    name_ = ValidUtf8(info.identity.name);
    version_ = ValidUtf8(info.identity.version);
    registerAdaptor();
  }
  ~Object() { unregisterAdaptor(); }

  using Agent1_adaptor::emitTaskFinished;
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

  // sdbus-c++ turns sdbus::Error into a D-Bus error reply; anything else must not escape into
  // the bus thread's C callbacks.
  template <typename F>
  auto Guarded(const char* method, F&& body) -> decltype(body()) {
    try {
      return body();
    } catch (const sdbus::Error&) {
      throw;
    } catch (const std::exception& e) {
      log_.Error(fmt::format("D-Bus {} failed: {}", method, e.what()));
      throw sdbus::Error(kErrorInternal, fmt::format("{} failed inside slothd: {}", method, e.what()));
    }
  }

  std::map<std::string, sdbus::Variant> GetInfo() override {
    return Guarded("GetInfo", [&] { return ToDbus(api_.GetInfo(CurrentCaller())); });
  }

  std::string RunTask(const std::string& command, const std::string& name, const std::string& group,
                      const std::map<std::string, std::string>& env, const uint64_t& timeout_ms) override {
    return Guarded("RunTask", [&] {
      if (command.empty()) throw sdbus::Error(kErrorInvalidArgs, "command is empty: pass the shell command to run");
      TaskSpec spec;
      spec.command = command;
      if (!name.empty()) spec.name = name;
      if (!group.empty()) spec.group = group;
      for (const auto& [key, value] : env) {
        if (key.empty() || key.find('=') != std::string::npos) {
          throw sdbus::Error(kErrorInvalidArgs, fmt::format("invalid environment variable name '{}'", key));
        }
        spec.env.emplace_back(key, value);
      }
      if (timeout_ms > 0) spec.timeout = std::chrono::milliseconds(std::min(timeout_ms, kMaxTimeoutMs));
      // Starts on a runner worker: the bus thread is never held by a running task.
      StartOutcome started = api_.StartTask(CurrentCaller(), std::move(spec));
      if (started.id.empty()) {
        throw sdbus::Error(kErrorRefused, fmt::format("task refused: {}", started.refusal));
      }
      return started.id;
    });
  }

  std::map<std::string, sdbus::Variant> GetTask(const std::string& id) override {
    return Guarded("GetTask", [&] {
      auto task = api_.GetTask(CurrentCaller(), id);
      if (!task) throw sdbus::Error(kErrorUnknownTask, fmt::format("no task with id {} (see ListTasks)", id));
      return ToDbus(*task);
    });
  }

  std::vector<TaskRow> ListTasks() override {
    return Guarded("ListTasks", [&] {
      std::vector<TaskRow> rows;
      for (const TaskResult& r : api_.ListTasks(CurrentCaller())) rows.push_back(ToRow(r));
      return rows;
    });
  }

  bool CancelTask(const std::string& id) override {
    return Guarded("CancelTask", [&] {
      const CancelOutcome outcome = api_.CancelTask(CurrentCaller(), id);
      if (outcome.unknown) throw sdbus::Error(kErrorUnknownTask, ValidUtf8(outcome.reason));
      return outcome.cancelled;
    });
  }

  std::string GetMetrics() override {
    return Guarded("GetMetrics", [&] { return ValidUtf8(api_.GetMetrics(CurrentCaller())); });
  }

  void Reload() override {
    Guarded("Reload", [&] {
      const Caller caller = CurrentCaller();
      // Logged like ControlApi's audit lines: reloading is an action.
      const LogField fields[] = {{"SLOTH_CALLER_UID", std::to_string(caller.uid)},
                                 {"SLOTH_CALLER_PID", std::to_string(caller.pid)},
                                 {"SLOTH_VIA", caller.via}};
      log_.Log(LogLevel::kInfo, fmt::format("Reload (uid {}, pid {}, via {})", caller.uid, caller.pid, caller.via),
               std::span<const LogField>(fields));
      reload_();
    });
  }

  // Properties are not audited per caller: they are read by the bus library, also when it
  // builds PropertiesChanged on a task's thread, where there is no call to attribute.
  std::string Name() override { return name_; }
  std::string Version() override { return version_; }
  double Uptime() override {
    return Guarded("Get Uptime", [&] { return api_.GetInfo(Caller{"dbus", -1, -1}).uptime_seconds; });
  }
  uint32_t TasksRunning() override {
    return Guarded("Get TasksRunning", [&] { return api_.GetInfo(Caller{"dbus", -1, -1}).tasks_running; });
  }

  std::unique_ptr<sdbus::IProxy> bus_driver_;  // org.freedesktop.DBus, for callers' credentials
  ControlApi& api_;
  Logger& log_;
  std::function<void()> reload_;
  std::string name_, version_;
};

AgentDbusService::AgentDbusService(ControlApi& api, Logger& log, std::function<void()> reload)
    : AgentDbusService(api, log, std::move(reload), nullptr) {}

AgentDbusService::AgentDbusService(ControlApi& api, Logger& log, std::function<void()> reload,
                                   std::unique_ptr<sdbus::IConnection> bus)
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
    object_ = std::make_unique<Object>(*bus_, api, log, std::move(reload));
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

void AgentDbusService::OnTaskChange(const TaskResult& task) {
  {
    std::lock_guard lock(state_mutex_);
    if (shut_down_ || !object_) return;
    ++emitting_;
  }
  try {
    if (IsFinished(task.status)) {
      object_->emitTaskFinished(ValidUtf8(task.id), ValidUtf8(task.name), ValidUtf8(task.group),
                                std::string(TaskStatusName(task.status)), static_cast<int32_t>(task.exit_code));
    }
    object_->EmitTasksRunningChanged();
  } catch (const sdbus::Error& e) {
    log_.Warning(fmt::format("D-Bus: cannot signal the change of task {}: {}", task.id, e.getMessage()));
  }
  {
    std::lock_guard lock(state_mutex_);
    --emitting_;
  }
  emitters_done_.notify_all();
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
