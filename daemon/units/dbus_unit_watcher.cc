// The unit watcher module (slothd-units.so): one system bus connection, subscribed to the
// service manager's signals, whose bus thread turns the PropertiesChanged signals of task units
// into each watching task's end. It only listens: starting and stopping units is the launcher's.
#include <sys/eventfd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <sdbus-c++/sdbus-c++.h>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/unique_fd.h"
#include "daemon/units/unit_watcher.h"

namespace sloth {
namespace {

constexpr const char* kManagerService = "org.freedesktop.systemd1";
constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
constexpr const char* kManagerInterface = "org.freedesktop.systemd1.Manager";
constexpr std::string_view kTaskUnitPrefix = "sloth-task-";
// Delivered to us only for units (path_namespace), and only by the manager.
constexpr const char* kPropertiesMatch =
    "type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.DBus.Properties',"
    "member='PropertiesChanged',path_namespace='/org/freedesktop/systemd1/unit'";
constexpr const char* kUnitRemovedMatch =
    "type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.systemd1.Manager',"
    "member='UnitRemoved'";

// One watched unit: written by the bus thread, read by the task thread once `ended` is signalled.
struct Watched {
  UniqueFd event;  // eventfd, readable once ended
  std::mutex mutex;
  std::string active_state;
  std::optional<uint32_t> job;  // the id of its pending job, 0 for none; unknown until reported
  UnitEnd end;
  bool ended = false;
};

class WatchHandle;

class DbusUnitWatcher final : public UnitWatcher {
 public:
  DbusUnitWatcher() : bus_(sdbus::createSystemBusConnection()) {
    // The manager emits unit signals only while some client is subscribed. Before the event
    // loop runs, on this thread: the connection is not used from two threads at once.
    auto manager = sdbus::createProxy(*bus_, kManagerService, kManagerPath);
    manager->callMethod("Subscribe").onInterface(kManagerInterface);
    properties_slot_ = bus_->addMatch(kPropertiesMatch, [this](sdbus::Message& m) { OnPropertiesChanged(m); });
    removed_slot_ = bus_->addMatch(kUnitRemovedMatch, [this](sdbus::Message& m) { OnUnitRemoved(m); });
    bus_->enterEventLoopAsync();
  }
  ~DbusUnitWatcher() override { bus_->leaveEventLoop(); }

  Result<std::unique_ptr<UnitWatch>> Watch(const std::string& unit) override;
  void Forget(const std::string& unit);

 private:
  std::shared_ptr<Watched> Find(const std::string& unit) {
    std::lock_guard lock(mutex_);
    auto it = watched_.find(unit);
    return it == watched_.end() ? nullptr : it->second;
  }
  void OnPropertiesChanged(sdbus::Message& message);
  void OnUnitRemoved(sdbus::Message& message);
  static void MarkEnded(Watched& w);

  std::unique_ptr<sdbus::IConnection> bus_;
  sdbus::Slot properties_slot_;
  sdbus::Slot removed_slot_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Watched>> watched_;  // guarded by mutex_
};

class WatchHandle final : public UnitWatch {
 public:
  WatchHandle(DbusUnitWatcher& watcher, std::string unit, std::shared_ptr<Watched> watched)
      : watcher_(watcher), unit_(std::move(unit)), watched_(std::move(watched)) {}
  ~WatchHandle() override { watcher_.Forget(unit_); }
  int fd() const override { return watched_->event.get(); }
  std::optional<UnitEnd> end() const override {
    std::lock_guard lock(watched_->mutex);
    if (!watched_->ended) return std::nullopt;
    return watched_->end;
  }

 private:
  DbusUnitWatcher& watcher_;
  const std::string unit_;
  std::shared_ptr<Watched> watched_;
};

Result<std::unique_ptr<UnitWatch>> DbusUnitWatcher::Watch(const std::string& unit) {
  auto watched = std::make_shared<Watched>();
  watched->event.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!watched->event) return Failure{fmt::format("eventfd: {}", std::strerror(errno))};
  {
    std::lock_guard lock(mutex_);
    if (!watched_.emplace(unit, watched).second) return Failure{fmt::format("{} is already watched", unit)};
  }
  return std::unique_ptr<UnitWatch>(std::make_unique<WatchHandle>(*this, unit, std::move(watched)));
}

void DbusUnitWatcher::Forget(const std::string& unit) {
  std::lock_guard lock(mutex_);
  watched_.erase(unit);
}

void DbusUnitWatcher::MarkEnded(Watched& w) {
  w.ended = true;
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(w.event.get(), &one, sizeof one);
}

void DbusUnitWatcher::OnPropertiesChanged(sdbus::Message& message) {
  const std::string unit = UnitNameFromObjectPath(message.getPath());
  if (!unit.starts_with(kTaskUnitPrefix)) return;  // somebody else's unit: the common case
  const std::shared_ptr<Watched> w = Find(unit);
  if (!w) return;
  std::string interface;
  std::map<std::string, sdbus::Variant> changed;
  try {
    message >> interface >> changed;
  } catch (const sdbus::Error&) {
    return;
  }
  std::lock_guard lock(w->mutex);
  if (w->ended) return;
  auto take = [&](const char* name, auto* out) {
    auto it = changed.find(name);
    if (it == changed.end()) return;
    try {
      *out = it->second.get<std::remove_pointer_t<decltype(out)>>();
    } catch (const sdbus::Error&) {
    }
  };
  if (interface == "org.freedesktop.systemd1.Service") {
    take("Result", &w->end.result);
    take("ExecMainCode", &w->end.exec_code);
    take("ExecMainStatus", &w->end.exec_status);
  } else if (interface == "org.freedesktop.systemd1.Unit") {
    take("ActiveState", &w->active_state);
    if (auto it = changed.find("Job"); it != changed.end()) {
      try {
        w->job = std::get<0>(it->second.get<sdbus::Struct<uint32_t, sdbus::ObjectPath>>());
      } catch (const sdbus::Error&) {
      }
    }
    // As systemd-run --wait decides it: inactive or failed, with no job pending.
    if ((w->active_state == "inactive" || w->active_state == "failed") && w->job == 0u) MarkEnded(*w);
  }
}

void DbusUnitWatcher::OnUnitRemoved(sdbus::Message& message) {
  std::string unit;
  try {
    message >> unit;
  } catch (const sdbus::Error&) {
    return;
  }
  if (!unit.starts_with(kTaskUnitPrefix)) return;
  const std::shared_ptr<Watched> w = Find(unit);
  if (!w) return;
  std::lock_guard lock(w->mutex);
  if (w->ended) return;
  w->end.vanished = true;
  MarkEnded(*w);
}

}  // namespace
}  // namespace sloth

extern "C" __attribute__((visibility("default"))) sloth::Result<std::unique_ptr<sloth::UnitWatcher>>
sloth_create_unit_watcher() {
  // Exceptions do not cross the module boundary: they become the failure's text.
  try {
    return std::unique_ptr<sloth::UnitWatcher>(std::make_unique<sloth::DbusUnitWatcher>());
  } catch (const std::exception& e) {
    return sloth::Failure{fmt::format("cannot follow task units on the system bus: {}", e.what())};
  }
}
