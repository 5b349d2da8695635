#include "daemon/systemd/libsystemd.h"

#include "common/dynamic_library.h"

namespace sloth {

const Result<const Libsystemd*>& Libsystemd::Get() {
  return OpenOnce<Libsystemd>("libsystemd.so.0", [](DynamicLibrary& so, Libsystemd& lib) {
    so.Bind(lib.notify, "sd_notify");
    so.Bind(lib.listen_fds_with_names, "sd_listen_fds_with_names");
    so.Bind(lib.is_socket_unix, "sd_is_socket_unix");
    so.Bind(lib.is_socket_inet, "sd_is_socket_inet");
    so.Bind(lib.watchdog_enabled, "sd_watchdog_enabled");
    so.Bind(lib.journal_sendv, "sd_journal_sendv");
  });
}

}  // namespace sloth
