#include "daemon/systemd/listen_fds.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "daemon/systemd/libsystemd.h"

namespace sloth {

PassedSockets TakePassedSockets(Logger& log) {
  PassedSockets sockets;
  if (!std::getenv("LISTEN_FDS")) return sockets;
  const auto& opened = Libsystemd::Get();
  if (!opened) {
    log.Warning(fmt::format("LISTEN_FDS is set but libsystemd cannot be opened ({}); opening own sockets",
                            opened.error().message));
    return sockets;
  }
  const Libsystemd* lib = *opened;
  char** names = nullptr;
  const int n = lib->listen_fds_with_names(1, &names);
  if (n < 0) {
    log.Warning(fmt::format("cannot read the sockets passed by systemd: {}", std::strerror(-n)));
    return sockets;
  }
  for (int i = 0; i < n; ++i) {
    const int fd = SD_LISTEN_FDS_START + i;
    const std::string name = names && names[i] ? names[i] : "";
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (name == "control" && lib->is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) > 0) {
      sockets.control.reset(fd);
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    } else if (name == "metrics" && lib->is_socket_inet(fd, 0, SOCK_STREAM, 1, 0) > 0) {
      // The accept loops expect a non-blocking listener (several threads may wake for one client).
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      sockets.metrics.reset(fd);
    } else {
      log.Warning(
          fmt::format("ignoring passed socket {} named \"{}\" (expected a listening unix stream socket "
                      "named \"control\" or a listening TCP socket named \"metrics\")",
                      fd, name));
      ::close(fd);
    }
  }
  if (names) {
    for (int i = 0; i < n; ++i) std::free(names[i]);
    std::free(names);
  }
  return sockets;
}

}  // namespace sloth
