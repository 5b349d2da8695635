#include "daemon/systemd/libsystemd.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace sloth {

const Libsystemd* Libsystemd::Get(const char** error) {
  static std::once_flag once;
  static Libsystemd lib;
  static bool ok = false;
  static std::string why;
  std::call_once(once, [] {
    void* handle = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);  // never closed
    if (!handle) {
      why = ::dlerror();
      return;
    }
    auto bind = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(handle, name));
      if (!fn && why.empty()) why = std::string("libsystemd.so.0 has no ") + name;
    };
    bind(lib.notify, "sd_notify");
    bind(lib.listen_fds_with_names, "sd_listen_fds_with_names");
    bind(lib.is_socket_unix, "sd_is_socket_unix");
    bind(lib.is_socket_inet, "sd_is_socket_inet");
    bind(lib.watchdog_enabled, "sd_watchdog_enabled");
    bind(lib.journal_sendv, "sd_journal_sendv");
    ok = why.empty();
  });
  if (!ok && error) *error = why.c_str();
  return ok ? &lib : nullptr;
}

}  // namespace sloth
