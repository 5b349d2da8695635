#include "daemon/systemd/notifier.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>

#include <fmt/format.h>

namespace sloth {

SystemdNotifier::SystemdNotifier() {
  uint64_t usec = 0;
  // unset_environment=0: tasks inherit nothing from it anyway (the runner builds their env).
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) ping_interval_ = std::chrono::microseconds(usec / 2);
}

void SystemdNotifier::Ready(std::string_view status) {
  sd_notify(0, fmt::format("READY=1\nSTATUS={}", status).c_str());
}

void SystemdNotifier::Status(std::string_view status) { sd_notify(0, fmt::format("STATUS={}", status).c_str()); }

void SystemdNotifier::Reloading(std::string_view status) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t usec = static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
  sd_notify(0, fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS={}", usec, status).c_str());
}

void SystemdNotifier::Stopping(std::string_view status) {
  sd_notify(0, fmt::format("STOPPING=1\nSTATUS={}", status).c_str());
}

void SystemdNotifier::WatchdogPing() { sd_notify(0, "WATCHDOG=1"); }

}  // namespace sloth
