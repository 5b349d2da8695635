// The D-Bus module's entry point: an AgentDbusService behind the DbusFrontEnd seam.
#include <memory>

#include "daemon/dbus/agent_dbus_service.h"
#include "daemon/dbus/dbus_front_end.h"

namespace sloth {
namespace {

class DbusModuleFrontEnd final : public DbusFrontEnd {
 public:
  explicit DbusModuleFrontEnd(std::unique_ptr<AgentDbusService> service) : service_(std::move(service)) {}
  void OnTaskChange(const TaskResult& task) override { service_->OnTaskChange(task); }
  void Shutdown() override { service_->Shutdown(); }

 private:
  std::unique_ptr<AgentDbusService> service_;
};

}  // namespace
}  // namespace sloth

extern "C" __attribute__((visibility("default"))) sloth::Result<std::unique_ptr<sloth::DbusFrontEnd>>
sloth_create_dbus_front_end(sloth::ControlApi* api, sloth::Logger* log) {
  // Exceptions do not cross the module boundary: they become the failure's text.
  try {
    return std::unique_ptr<sloth::DbusFrontEnd>(
        std::make_unique<sloth::DbusModuleFrontEnd>(std::make_unique<sloth::AgentDbusService>(*api, *log)));
  } catch (const std::exception& e) {
    return sloth::Failure{e.what()};
  }
}
