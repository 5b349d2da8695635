#pragma once
// The control socket: a Unix stream socket slothd owns (or adopts from systemd later), whose
// connections are accepted here, their peer credentials read with SO_PEERCRED, and then handed
// to gRPC (AddInsecureChannelFromFd). Owning accept() is what lets every call be attributed to
// a uid/pid, and what lets a socket passed by systemd be served the same way.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
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

// The lock file next to a control socket (PATH.lock), held while slothd serves PATH. Removed
// when released (destroyed or replaced), so a clean stop leaves nothing behind.
class HeldLockFile {
 public:
  HeldLockFile() = default;
  HeldLockFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  HeldLockFile(HeldLockFile&& other) noexcept = default;
  HeldLockFile& operator=(HeldLockFile&& other) noexcept;
  ~HeldLockFile() { Release(); }
  explicit operator bool() const { return static_cast<bool>(fd_); }

 private:
  void Release();  // unlinks while still holding the lock: nobody else can be holding this file
  std::string path_;
  UniqueFd fd_;
};

// Creates the listening socket at `path` with mode 0660: parent directories are created, a
// stale socket file is replaced, a live one (another slothd holding PATH.lock) is never taken.
// Fails saying why and what to do.
struct ControlSocket {
  UniqueFd fd;
  HeldLockFile lock;  // PATH.lock, held while the socket is ours
};
Result<ControlSocket> ListenControlSocket(const std::string& path);

// Who may use the control socket besides what its file mode allows: root, the daemon's own
// user, and members of `group` (when it exists). Checked on every connection, since a socket
// passed by systemd or a mode changed by hand is not ours to trust.
struct ControlAccess {
  uid_t daemon_uid = 0;
  std::optional<gid_t> group;  // nullopt: no group (none configured, or it does not exist)
  std::string group_name;      // for messages
};

// The access rules for the daemon's effective uid and the group named `group_name` ("" for
// none). A named group that does not exist is left out (see MissingGroupNote).
ControlAccess ResolveControlAccess(const std::string& group_name);
// What to tell the operator when the configured group does not exist, or nullopt.
std::optional<std::string> MissingGroupNote(const ControlAccess& access);

// Why a peer with these credentials and supplementary groups may not use the control socket,
// or nullopt if it may. Pure.
std::optional<std::string> ControlRefusal(const PeerCredentials& peer, std::span<const gid_t> peer_groups,
                                          const ControlAccess& access);

// How many connections the control socket keeps open at once: in all, and for one uid other
// than root (so one member of the group cannot lock everyone else out). Beyond them a
// connection is refused with a message; idle ones are closed by the front end.
inline constexpr size_t kMaxControlConnections = 256;
inline constexpr size_t kMaxControlConnectionsPerUid = 64;

// Accept loop on its own thread. Thread-safe lookups of the credentials of live connections.
class ControlSocketAcceptor {
 public:
  // `serve` receives each accepted connection that `access` admits (already CLOEXEC and
  // non-blocking) and owns it. A refused one is told why in one line and closed, and
  // `on_refused` (optional) is called.
  ControlSocketAcceptor(UniqueFd listen_fd, ControlAccess access, std::function<void(int fd)> serve,
                        std::function<void()> on_refused, Logger& log);
  ~ControlSocketAcceptor();  // Stop()

  // Stops accepting; returns once the accept thread has exited.
  void Stop();
  // Applies to connections accepted from now on.
  void SetAccess(ControlAccess access);
  // The credentials of the connection gRPC names "fd:N" (its peer string), if known.
  std::optional<PeerCredentials> CredentialsOf(std::string_view grpc_peer) const;

 private:
  struct Peer {
    PeerCredentials credentials;
    ino_t inode;  // of the socket: tells a live connection from a closed one whose fd was reused
  };
  void AcceptLoop();
  // Why `conn` is not served (access, or the limits), or nullopt. Forgets closed connections.
  std::optional<std::string> Admit(int conn, const PeerCredentials& peer);
  void Refuse(int conn, const PeerCredentials& peer, const std::string& why);

  UniqueFd listen_fd_;
  UniqueFd stop_event_;
  std::function<void(int)> serve_;
  std::function<void()> on_refused_;
  Logger& log_;
  mutable std::mutex mutex_;
  ControlAccess access_;                                      // guarded by mutex_
  std::map<int, Peer> peers_;                                 // by connection fd; rewritten when an fd is reused
  std::chrono::steady_clock::time_point last_refusal_log_{};  // accept thread only
  uint64_t refusals_not_logged_ = 0;                          // accept thread only
  std::thread thread_;
};

}  // namespace sloth
