#pragma once
// sd_notify(3) for Type=notify: READY, STATUS, RELOADING, STOPPING and the watchdog.
// Without NOTIFY_SOCKET every call is a no-op (and libsystemd is not even opened), so the
// daemon runs the same by hand.
// Threads: any thread may call it (sd_notify is thread-safe).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/systemd/libsystemd.h"

namespace sloth {

class SystemdNotifier {
 public:
  SystemdNotifier();

  void Ready(std::string_view status);
  void Status(std::string_view status);
  // RELOADING=1 with MONOTONIC_USEC, as systemd 253+ asks (older ones ignore the extra field).
  void Reloading(std::string_view status);
  void Stopping(std::string_view status);
  void WatchdogPing();

  // Half of WATCHDOG_USEC when systemd asks for pings (for this process), else nullopt.
  std::optional<std::chrono::microseconds> watchdog_ping_interval() const { return ping_interval_; }

 private:
  void Send(const std::string& state);

  const Libsystemd* lib_ = nullptr;
  std::optional<std::chrono::microseconds> ping_interval_;
};

}  // namespace sloth
