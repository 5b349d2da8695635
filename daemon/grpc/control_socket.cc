#include "daemon/grpc/control_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace sloth {

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
  return ControlSocket{std::move(fd), std::move(lock_fd)};
}

ControlSocketAcceptor::ControlSocketAcceptor(UniqueFd listen_fd, std::function<void(int fd)> serve, Logger& log)
    : listen_fd_(std::move(listen_fd)),
      stop_event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      serve_(std::move(serve)),
      log_(log) {
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

void ControlSocketAcceptor::AcceptLoop() {
  pollfd fds[2] = {{listen_fd_.get(), POLLIN, 0}, {stop_event_.get(), POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log_.Error(fmt::format("control socket: poll: {}", std::strerror(errno)));
      return;
    }
    if (fds[1].revents) return;
    const int conn = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn < 0) {
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
        log_.Warning(fmt::format("control socket: accept: {}", std::strerror(errno)));
      }
      continue;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    PeerCredentials peer;
    if (::getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) peer = {cred.pid, cred.uid, cred.gid};
    {
      std::lock_guard lock(mutex_);
      peers_[conn] = peer;
    }
    serve_(conn);
  }
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
  return it->second;
}

}  // namespace sloth
