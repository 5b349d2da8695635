#pragma once
// libsystemd, opened (dlopen) only when slothd actually runs under systemd — NOTIFY_SOCKET,
// LISTEN_FDS, WATCHDOG_USEC or a journal log target — the way systemd itself treats optional
// libraries. Linked in, it and its dependencies cost ≈1.3 MiB of resident memory in every
// agent, including the ones started by hand.
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "common/result.h"

namespace sloth {

struct Libsystemd {
  decltype(&::sd_notify) notify = nullptr;
  decltype(&::sd_listen_fds_with_names) listen_fds_with_names = nullptr;
  decltype(&::sd_is_socket_unix) is_socket_unix = nullptr;
  decltype(&::sd_is_socket_inet) is_socket_inet = nullptr;
  decltype(&::sd_watchdog_enabled) watchdog_enabled = nullptr;
  decltype(&::sd_journal_sendv) journal_sendv = nullptr;

  // Opened once, on first use; the failure says why when libsystemd.so.0 or one of these
  // functions is missing. Thread-safe.
  static const Result<const Libsystemd*>& Get();
};

}  // namespace sloth
