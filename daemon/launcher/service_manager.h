#pragma once
// slothd-launcher's one long-lived connection to the service manager (org.freedesktop.systemd1
// on the system bus), as root: StartTransientUnit and StopUnit of task units. Used by the
// launcher's single thread only.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "daemon/launcher/task_unit_properties.h"

namespace sdbus {
class IConnection;
class IProxy;
}  // namespace sdbus

namespace sloth {

class ServiceManager {
 public:
  // Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS when set). Throws sdbus::Error.
  ServiceManager();
  ~ServiceManager();

  // `fds`: the descriptors FdSlot properties name, lent for the call.
  Result<void> StartTransientUnit(const std::string& unit, const std::vector<UnitProperty>& properties,
                                  std::span<const int> fds);
  Result<void> StopUnit(const std::string& unit);

 private:
  std::unique_ptr<sdbus::IConnection> bus_;
  std::unique_ptr<sdbus::IProxy> manager_;
};

}  // namespace sloth
