#include "daemon/launcher/service_manager.h"

#include <fmt/format.h>
#include <sdbus-c++/sdbus-c++.h>

namespace sloth {
namespace {

constexpr const char* kManagerInterface = "org.freedesktop.systemd1.Manager";
using Property = sdbus::Struct<std::string, sdbus::Variant>;
using ExecEx = sdbus::Struct<std::string, std::vector<std::string>, std::vector<std::string>>;

sdbus::Variant ToVariant(const UnitProperty& property, std::span<const int> fds) {
  return std::visit(
      [&](const auto& value) -> sdbus::Variant {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, FdSlot>) {
          return sdbus::Variant(sdbus::UnixFd(fds[static_cast<size_t>(value.index)]));  // dup'd: ours stay ours
        } else if constexpr (std::is_same_v<T, JournalFields>) {
          std::vector<std::vector<uint8_t>> entries;
          for (const std::string& e : value.entries) entries.emplace_back(e.begin(), e.end());
          return sdbus::Variant(entries);
        } else if constexpr (std::is_same_v<T, ExecLine>) {
          return sdbus::Variant(std::vector<ExecEx>{ExecEx{value.path, value.argv, value.flags}});
        } else {
          return sdbus::Variant(value);
        }
      },
      property.value);
}

}  // namespace

ServiceManager::ServiceManager()
    : bus_(sdbus::createSystemBusConnection()),
      manager_(sdbus::createProxy(*bus_, "org.freedesktop.systemd1", "/org/freedesktop/systemd1")) {}

ServiceManager::~ServiceManager() = default;

Result<void> ServiceManager::StartTransientUnit(const std::string& unit, const std::vector<UnitProperty>& properties,
                                                std::span<const int> fds) {
  std::vector<Property> dbus_properties;
  dbus_properties.reserve(properties.size());
  for (const UnitProperty& p : properties) {
    if (const auto* slot = std::get_if<FdSlot>(&p.value);
        slot != nullptr && static_cast<size_t>(slot->index) >= fds.size()) {
      return Failure{fmt::format("{} names descriptor {} of {}", p.name, slot->index, fds.size())};
    }
    dbus_properties.push_back(Property{p.name, ToVariant(p, fds)});
  }
  const std::vector<sdbus::Struct<std::string, std::vector<Property>>> no_aux_units;
  try {
    sdbus::ObjectPath job;
    manager_->callMethod("StartTransientUnit")
        .onInterface(kManagerInterface)
        .withArguments(unit, std::string("fail"), dbus_properties, no_aux_units)
        .storeResultsTo(job);
    return {};
  } catch (const sdbus::Error& e) {
    return Failure{fmt::format("the service manager refused {}: {}", unit, e.getMessage())};
  }
}

Result<void> ServiceManager::StopUnit(const std::string& unit) {
  try {
    sdbus::ObjectPath job;
    manager_->callMethod("StopUnit")
        .onInterface(kManagerInterface)
        .withArguments(unit, std::string("replace"))
        .storeResultsTo(job);
    return {};
  } catch (const sdbus::Error& e) {
    // Already gone: the task ended on its own meanwhile; nothing to stop.
    if (e.getName() == "org.freedesktop.systemd1.NoSuchUnit") return {};
    return Failure{fmt::format("the service manager could not stop {}: {}", unit, e.getMessage())};
  }
}

}  // namespace sloth
