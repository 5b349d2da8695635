#include "daemon/units/launcher_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "daemon/units/launcher_protocol.h"

namespace sloth {
namespace {

// The launcher answers after one call to the service manager; this only bounds a sick one.
constexpr timeval kReplyTimeout{30, 0};

std::string ErrnoText() { return std::strerror(errno); }

}  // namespace

LauncherClient::LauncherClient(std::string socket_path) : path_(std::move(socket_path)) {}

Result<void> LauncherClient::Connect() {
  std::lock_guard lock(mutex_);
  return ConnectLocked();
}

Result<void> LauncherClient::ConnectLocked() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) return Failure{fmt::format("launcher socket path too long: {}", path_)};
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) return Failure{fmt::format("socket: {}", ErrnoText())};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &kReplyTimeout, sizeof kReplyTimeout);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return Failure{
        fmt::format("cannot reach the task launcher at {}: {} (is slothd-launcher.socket active? "
                    "systemctl enable --now slothd-launcher.socket)",
                    path_, ErrnoText())};
  }
  fd_ = std::move(fd);
  return {};
}

Result<void> LauncherClient::Start(const UnitStart& start) {
  auto request = EncodeStartRequest(start);
  if (!request) return request.error();
  const int fds[kLauncherStartFds] = {start.report_fd, start.stdout_fd, start.stderr_fd};
  return Exchange(*request, fds);
}

Result<void> LauncherClient::Stop(std::string_view unit) { return Exchange(EncodeStopRequest(unit), {}); }

Result<void> LauncherClient::Exchange(const std::string& request, std::span<const int> fds) {
  std::lock_guard lock(mutex_);
  for (int attempt = 0;; ++attempt) {
    if (!fd_) {
      if (auto connected = ConnectLocked(); !connected) return connected;
    }
    iovec iov{const_cast<char*>(request.data()), request.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
    if (!fds.empty()) {
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
      cmsg->cmsg_level = SOL_SOCKET;
      cmsg->cmsg_type = SCM_RIGHTS;
      cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t sent;
    do {
      sent = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
      const int error = errno;
      fd_.reset();
      // The launcher restarted since our last request: nothing was delivered, so try once more.
      if (attempt == 0 && (error == EPIPE || error == ECONNRESET || error == ENOTCONN)) continue;
      return Failure{fmt::format("sending to the task launcher at {}: {}", path_, std::strerror(error))};
    }
    std::string reply(4096, '\0');
    ssize_t received;
    do {
      received = ::recv(fd_.get(), reply.data(), reply.size(), 0);
    } while (received < 0 && errno == EINTR);
    if (received <= 0) {
      const std::string why = received == 0 ? "it closed the connection" : ErrnoText();
      fd_.reset();
      return Failure{fmt::format("no answer from the task launcher at {}: {}", path_, why)};
    }
    reply.resize(static_cast<size_t>(received));
    return DecodeReply(reply);
  }
}

}  // namespace sloth
