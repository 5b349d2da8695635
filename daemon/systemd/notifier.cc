#include "daemon/systemd/notifier.h"

#include <time.h>
#include <cstdlib>

#include <string>

#include <fmt/format.h>

namespace sloth {

SystemdNotifier::SystemdNotifier() {
  if (!std::getenv("NOTIFY_SOCKET")) return;
  if (const auto& lib = Libsystemd::Get()) lib_ = *lib;
  uint64_t usec = 0;
  // unset_environment=0: tasks inherit nothing from it anyway (the runner builds their env).
  if (lib_ && lib_->watchdog_enabled(0, &usec) > 0 && usec > 0) ping_interval_ = std::chrono::microseconds(usec / 2);
}

void SystemdNotifier::Send(const std::string& state) {
  if (lib_) lib_->notify(0, state.c_str());
}

void SystemdNotifier::Ready(std::string_view status) { Send(fmt::format("READY=1\nSTATUS={}", status)); }

void SystemdNotifier::Status(std::string_view status) { Send(fmt::format("STATUS={}", status)); }

void SystemdNotifier::Reloading(std::string_view status) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t usec = static_cast<uint64_t>(now.tv_sec) * 1000000u + static_cast<uint64_t>(now.tv_nsec) / 1000u;
  Send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS={}", usec, status));
}

void SystemdNotifier::Stopping(std::string_view status) { Send(fmt::format("STOPPING=1\nSTATUS={}", status)); }

void SystemdNotifier::WatchdogPing() { Send("WATCHDOG=1"); }

}  // namespace sloth
