#pragma once
// A private system bus for tests (notes/systemd-testing.md, "Private system bus"): a copy of
// /usr/share/dbus-1/system.conf without user, fork, pidfile, syslog, service helper and
// standard service dirs, listening on a temp path, with a policy dir holding only the given
// policy files. Ready when dbus-daemon prints its address on fd 3.
// Threads: owned by the test's thread.
#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace sloth::test {

class PrivateSystemBus {
 public:
  // Starts dbus-daemon and waits for its address; throws with its stderr if it does not come.
  explicit PrivateSystemBus(const std::vector<std::string>& policy_files);
  ~PrivateSystemBus();  // SIGTERM, then reap
  PrivateSystemBus(const PrivateSystemBus&) = delete;
  PrivateSystemBus& operator=(const PrivateSystemBus&) = delete;

  // "unix:path=...,guid=...", for DBUS_SYSTEM_BUS_ADDRESS and busctl --address.
  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }
  std::string Log() const;  // dbus-daemon's stderr so far

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  std::string address_;
};

// The bus configuration text: `system_conf` (the distribution's system.conf) with the
// daemon-only elements removed, <listen> on `socket_path` and <includedir> `policy_dir` only.
std::string PrivateBusConfig(const std::string& system_conf, const std::string& socket_path,
                             const std::string& policy_dir);

}  // namespace sloth::test
