#pragma once
// The control socket: a Unix stream socket slothd owns (or adopts from systemd later), whose
// connections are accepted here, their peer credentials read with SO_PEERCRED, and then handed
// to gRPC (AddInsecureChannelFromFd). Owning accept() is what lets every call be attributed to
// a uid/pid, and what lets a socket passed by systemd be served the same way.
#include <sys/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/log.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace sloth {

struct PeerCredentials {
  pid_t pid = -1;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
};

// Creates the listening socket at `path` with mode 0660: parent directories are created, a
// stale socket file is replaced, a live one (another slothd holding PATH.lock) is never taken.
// Fails saying why and what to do.
struct ControlSocket {
  UniqueFd fd;
  UniqueFd lock;  // PATH.lock, held while the socket is ours
};
Result<ControlSocket> ListenControlSocket(const std::string& path);

// Accept loop on its own thread. Thread-safe lookups of the credentials of live connections.
class ControlSocketAcceptor {
 public:
  // `serve` receives each accepted connection (already CLOEXEC and non-blocking) and owns it.
  ControlSocketAcceptor(UniqueFd listen_fd, std::function<void(int fd)> serve, Logger& log);
  ~ControlSocketAcceptor();  // Stop()

  // Stops accepting; returns once the accept thread has exited.
  void Stop();
  // The credentials of the connection gRPC names "fd:N" (its peer string), if known.
  std::optional<PeerCredentials> CredentialsOf(std::string_view grpc_peer) const;

 private:
  void AcceptLoop();

  UniqueFd listen_fd_;
  UniqueFd stop_event_;
  std::function<void(int)> serve_;
  Logger& log_;
  mutable std::mutex mutex_;
  std::map<int, PeerCredentials> peers_;  // by connection fd; rewritten when an fd is reused
  std::thread thread_;
};

}  // namespace sloth
