#pragma once
// The seam between slothd and its unit watcher, which lives in a module (slothd-units.so, loaded
// only in unit mode, see modules/module_loader.h): it follows task units over the system bus
// (PropertiesChanged of the manager's unit objects) and tells each watching task thread how its
// unit ended. No sdbus-c++ type crosses this header.
#include <memory>
#include <string>

#include "common/result.h"
#include "daemon/core/tasks/transient_units.h"

namespace sloth {

// Thread-safe: Watch is called from task threads; the ends arrive on the watcher's bus thread.
class UnitWatcher {
 public:
  virtual ~UnitWatcher() = default;
  // Follows `unit` until the returned handle is destroyed.
  virtual Result<std::unique_ptr<UnitWatch>> Watch(const std::string& unit) = 0;
};

// The module's entry point (extern "C"): connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS when
// set) and subscribes to the manager's signals, or says why it could not.
using CreateUnitWatcherFn = Result<std::unique_ptr<UnitWatcher>> (*)();
inline constexpr const char* kCreateUnitWatcherSymbol = "sloth_create_unit_watcher";
inline constexpr const char* kUnitsModuleFileName = "slothd-units.so";

// The name of the unit whose manager object is at `path` ("/org/freedesktop/systemd1/unit/
// sloth_2dtask_2dt_2d000001_2d9f3c_2eservice" -> "sloth-task-t-000001-9f3c.service"), or "" when
// `path` is not below /org/freedesktop/systemd1/unit/.
std::string UnitNameFromObjectPath(std::string_view path);

}  // namespace sloth
