#pragma once
// TransientUnits on a real system: slothd-launcher starts and stops the units (it may; slothd may
// not), the unit watcher module follows them on the system bus. Thread-safe.
#include <memory>
#include <string>

#include "daemon/core/tasks/transient_units.h"
#include "daemon/units/launcher_client.h"
#include "daemon/units/unit_watcher.h"

namespace sloth {

class SystemdTransientUnits final : public TransientUnits {
 public:
  SystemdTransientUnits(std::unique_ptr<UnitWatcher> watcher, std::string launcher_socket)
      : watcher_(std::move(watcher)), launcher_(std::move(launcher_socket)) {}

  Result<std::unique_ptr<UnitWatch>> Watch(const std::string& unit) override { return watcher_->Watch(unit); }
  Result<void> Start(const UnitStart& request) override { return launcher_.Start(request); }
  Result<void> Stop(const std::string& unit) override { return launcher_.Stop(unit); }
  LauncherClient& launcher() { return launcher_; }

 private:
  std::unique_ptr<UnitWatcher> watcher_;
  LauncherClient launcher_;
};

}  // namespace sloth
