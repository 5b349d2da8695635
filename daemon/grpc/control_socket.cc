#include "daemon/grpc/control_socket.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

namespace sloth {

namespace {

// The inode of the socket descriptor `fd` names now ("socket:[INODE]" in /proc/self/fd), or 0.
ino_t SocketInode(int fd) {
  char link[64];
  const std::string path = fmt::format("/proc/self/fd/{}", fd);
  const ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
  if (n <= 0) return 0;
  const std::string_view target(link, static_cast<size_t>(n));
  if (!target.starts_with("socket:[") || !target.ends_with("]")) return 0;
  ino_t inode = 0;
  const auto digits = target.substr(8, target.size() - 9);
  std::from_chars(digits.data(), digits.data() + digits.size(), inode);
  return inode;
}

}  // namespace

HeldLockFile& HeldLockFile::operator=(HeldLockFile&& other) noexcept {
  if (this != &other) {
    Release();
    path_ = std::move(other.path_);
    fd_ = std::move(other.fd_);
  }
  return *this;
}

void HeldLockFile::Release() {
  if (!fd_) return;
  ::unlink(path_.c_str());
  fd_.reset();
}

Result<ControlSocket> ListenControlSocket(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    return Failure{fmt::format("control socket path {} is too long ({} bytes, at most {})", path, path.size(),
                               sizeof addr.sun_path - 1)};
  }
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    return Failure{
        fmt::format("cannot create {} for the control socket: {}; run slothd as root or as its service, "
                    "or pass --control-socket PATH (e.g. $XDG_RUNTIME_DIR/slothd.sock)",
                    parent.string(), ec.message())};
  }
  // The lock file says "a live slothd owns this socket": whoever holds it serves PATH; a socket
  // file without a holder is stale and may be replaced.
  const std::string lock_path = path + ".lock";
  UniqueFd lock_fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_fd) {
    return Failure{fmt::format("cannot open {}: {}", lock_path, std::strerror(errno))};
  }
  if (::flock(lock_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    return Failure{
        fmt::format("control socket {} is in use by another running slothd (it holds {}); stop it or "
                    "choose another path with --control-socket",
                    path, lock_path)};
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Failure{fmt::format("{} exists and is not a socket; remove it or choose another --control-socket", path)};
    }
    ::unlink(path.c_str());  // stale: its owner is gone (we hold the lock)
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) {
    return Failure{fmt::format("cannot create the control socket: {}", std::strerror(errno))};
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Failure{
        fmt::format("cannot bind the control socket {}: {}; pass --control-socket PATH", path, std::strerror(errno))};
  }
  // Until listen() nobody can connect, so tightening the mode here leaves no window.
  if (::chmod(path.c_str(), 0660) != 0 || ::listen(fd.get(), 128) != 0) {
    Failure failure{fmt::format("cannot listen on the control socket {}: {}", path, std::strerror(errno))};
    ::unlink(path.c_str());
    return failure;
  }
  return ControlSocket{std::move(fd), HeldLockFile(lock_path, std::move(lock_fd))};
}

ControlAccess ResolveControlAccess(const std::string& group_name) {
  ControlAccess access;
  access.daemon_uid = ::geteuid();
  access.group_name = group_name;
  if (group_name.empty()) return access;
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  if (::getgrnam_r(group_name.c_str(), &entry, buffer.data(), buffer.size(), &found) == 0 && found) {
    access.group = found->gr_gid;
  }
  return access;
}

std::optional<std::string> MissingGroupNote(const ControlAccess& access) {
  if (access.group || access.group_name.empty()) return std::nullopt;
  return fmt::format(
      "control group {} does not exist: only root and uid {} may use the control socket (agent.control_group)",
      access.group_name, access.daemon_uid);
}

std::optional<std::string> ControlRefusal(const PeerCredentials& peer, std::span<const gid_t> peer_groups,
                                          const ControlAccess& access) {
  if (peer.uid == static_cast<uid_t>(-1)) return "the caller's credentials could not be read (SO_PEERCRED)";
  if (peer.uid == 0 || peer.uid == access.daemon_uid) return std::nullopt;
  if (access.group && (peer.gid == *access.group ||
                       std::find(peer_groups.begin(), peer_groups.end(), *access.group) != peer_groups.end())) {
    return std::nullopt;
  }
  if (!access.group) {
    return fmt::format("uid {} is neither root nor slothd's user (uid {}), and no control group is configured",
                       peer.uid, access.daemon_uid);
  }
  return fmt::format(
      "uid {} is not root, slothd's user (uid {}) or a member of group {}; ask an administrator to add it "
      "(adduser USER {}, then log in again)",
      peer.uid, access.daemon_uid, access.group_name, access.group_name);
}

ControlSocketAcceptor::ControlSocketAcceptor(UniqueFd listen_fd, ControlAccess access,
                                             std::function<void(int fd)> serve, std::function<void()> on_refused,
                                             Logger& log)
    : listen_fd_(std::move(listen_fd)),
      stop_event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      serve_(std::move(serve)),
      on_refused_(std::move(on_refused)),
      log_(log),
      access_(std::move(access)) {
  thread_ = std::thread([this] { AcceptLoop(); });
}

ControlSocketAcceptor::~ControlSocketAcceptor() { Stop(); }

void ControlSocketAcceptor::Stop() {
  if (!thread_.joinable()) return;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_event_.get(), &one, sizeof one);
  thread_.join();
  listen_fd_.reset();
}

void ControlSocketAcceptor::SetAccess(ControlAccess access) {
  std::lock_guard lock(mutex_);
  access_ = std::move(access);
}

void ControlSocketAcceptor::AcceptLoop() {
  pollfd fds[2] = {{listen_fd_.get(), POLLIN, 0}, {stop_event_.get(), POLLIN, 0}};
  // While out of descriptors, accept fails at once and the socket stays readable: wait this
  // long between tries rather than spin, and say so once per episode.
  constexpr int kOutOfResourcesPauseMs = 200;
  bool out_of_resources = false;
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log_.Error(fmt::format("control socket: poll: {}", std::strerror(errno)));
      return;
    }
    if (fds[1].revents) return;
    const int conn = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn < 0) {
      const int error = errno;
      if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
        if (!out_of_resources) {
          log_.Error(fmt::format("control socket: cannot accept connections: {}; retrying every {} ms",
                                 std::strerror(error), kOutOfResourcesPauseMs));
        }
        out_of_resources = true;
        pollfd stop = {stop_event_.get(), POLLIN, 0};
        if (::poll(&stop, 1, kOutOfResourcesPauseMs) > 0) return;
      } else if (error != EAGAIN && error != EINTR && error != ECONNABORTED) {
        log_.Warning(fmt::format("control socket: accept: {}", std::strerror(error)));
      }
      continue;
    }
    if (out_of_resources) {
      log_.Notice("control socket: accepting connections again");
      out_of_resources = false;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    PeerCredentials peer;
    if (::getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) peer = {cred.pid, cred.uid, cred.gid};
    if (auto why = Admit(conn, peer)) {
      Refuse(conn, peer, *why);
      continue;
    }
    serve_(conn);
  }
}

std::optional<std::string> ControlSocketAcceptor::Admit(int conn, const PeerCredentials& peer) {
  std::vector<gid_t> groups(64);
  socklen_t len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
  if (::getsockopt(conn, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0 && errno == ERANGE) {
    groups.resize(len / sizeof(gid_t));
    if (::getsockopt(conn, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0) len = 0;
  }
  groups.resize(len / sizeof(gid_t));
  std::lock_guard lock(mutex_);
  if (auto why = ControlRefusal(peer, groups, access_)) return why;
  // The front end closes connections without telling us: a descriptor that no longer names the
  // socket we accepted is gone. Read from /proc/self/fd, which does not touch the descriptor
  // itself: it is the front end's, and may be closed and reused meanwhile.
  size_t open = 0, of_uid = 0;
  for (auto it = peers_.begin(); it != peers_.end();) {
    if (SocketInode(it->first) != it->second.inode) {
      it = peers_.erase(it);
      continue;
    }
    ++open;
    if (it->second.credentials.uid == peer.uid) ++of_uid;
    ++it;
  }
  if (open >= kMaxControlConnections) {
    return fmt::format("too many control connections ({} open); try again once some have closed", open);
  }
  if (peer.uid != 0 && of_uid >= kMaxControlConnectionsPerUid) {
    return fmt::format("too many control connections for uid {} ({} open); close some first", peer.uid, of_uid);
  }
  struct stat st {};
  ::fstat(conn, &st);  // still ours: serve_ has not had it yet
  peers_[conn] = Peer{peer, st.st_ino};
  return std::nullopt;
}

void ControlSocketAcceptor::Refuse(int conn, const PeerCredentials& peer, const std::string& why) {
  // One line the client can show (slothctl does); a gRPC client sees a broken connection.
  const std::string line = fmt::format("slothd: refused: {}\n", why);
  [[maybe_unused]] ssize_t n = ::send(conn, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(conn);
  if (on_refused_) on_refused_();
  // A flood of refused connections must not flood the log: one line a second at most.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_refusal_log_ < std::chrono::seconds(1)) {
    ++refusals_not_logged_;
    return;
  }
  last_refusal_log_ = now;
  std::string more;
  if (refusals_not_logged_ > 0) more = fmt::format(" ({} more refused since the last message)", refusals_not_logged_);
  refusals_not_logged_ = 0;
  log_.Warning(fmt::format("control socket: refused uid {} (pid {}): {}{}", peer.uid, peer.pid, why, more),
               {{"SLOTH_CALLER_UID", std::to_string(peer.uid)}});
}

std::optional<PeerCredentials> ControlSocketAcceptor::CredentialsOf(std::string_view grpc_peer) const {
  // gRPC names a connection added from a descriptor "fd:N".
  if (!grpc_peer.starts_with("fd:")) return std::nullopt;
  int fd = -1;
  const auto digits = grpc_peer.substr(3);
  if (std::from_chars(digits.data(), digits.data() + digits.size(), fd).ec != std::errc()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = peers_.find(fd);
  if (it == peers_.end()) return std::nullopt;
  return it->second.credentials;
}

}  // namespace sloth
