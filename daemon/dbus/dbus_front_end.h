#pragma once
// The seam between slothd and its D-Bus front end, which lives in a module (slothd-dbus.so)
// loaded at start only where there is a system bus (see modules/module_loader.h for why).
// No sdbus-c++ type crosses this header.
#include <memory>

#include "common/result.h"

#include "common/log.h"
#include "daemon/core/control_api.h"
#include "daemon/core/tasks/task.h"

namespace sloth {

class DbusFrontEnd {
 public:
  virtual ~DbusFrontEnd() = default;
  // Emits TaskFinished / PropertiesChanged(TasksRunning). Any thread; no-op after Shutdown().
  virtual void OnTaskChange(const TaskResult& task) = 0;
  // Releases the name and stops the bus thread. Idempotent; main thread.
  virtual void Shutdown() = 0;
};

// The module's entry point (extern "C"), or why there is no D-Bus front end (no bus, name taken,
// ...): the agent then runs without D-Bus.
using CreateDbusFrontEndFn = Result<std::unique_ptr<DbusFrontEnd>> (*)(ControlApi* api, Logger* log);
inline constexpr const char* kCreateDbusFrontEndSymbol = "sloth_create_dbus_front_end";
inline constexpr const char* kDbusModuleFileName = "slothd-dbus.so";

}  // namespace sloth
