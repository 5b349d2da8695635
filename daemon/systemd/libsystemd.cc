#include "daemon/systemd/libsystemd.h"

#include <mutex>
#include <string>

#include "common/dynamic_library.h"

namespace sloth {

const Libsystemd* Libsystemd::Get(const char** error) {
  static std::once_flag once;
  static Libsystemd lib;
  static std::string why;
  std::call_once(once, [] {
    DynamicLibrary so("libsystemd.so.0");
    so.Bind(lib.notify, "sd_notify");
    so.Bind(lib.listen_fds_with_names, "sd_listen_fds_with_names");
    so.Bind(lib.is_socket_unix, "sd_is_socket_unix");
    so.Bind(lib.is_socket_inet, "sd_is_socket_inet");
    so.Bind(lib.watchdog_enabled, "sd_watchdog_enabled");
    so.Bind(lib.journal_sendv, "sd_journal_sendv");
    why = so.error();
  });
  if (!why.empty() && error) *error = why.c_str();
  return why.empty() ? &lib : nullptr;
}

}  // namespace sloth
