#include "daemon/launcher/launcher_server.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "daemon/launcher/launch_policy.h"
#include "daemon/launcher/task_unit_properties.h"
#include "daemon/units/launcher_protocol.h"

namespace sloth {
namespace {

// Receives one message and the descriptors that came with it (all of them owned, so none leaks
// whatever happens next). 0 bytes: the peer closed.
ssize_t ReceiveMessage(int fd, std::string* text, std::vector<UniqueFd>* fds) {
  text->resize(kLauncherMaxMessage);
  iovec iov{text->data(), text->size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); n >= 0 && c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int received;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      fds->emplace_back(received);
    }
  }
  if (n >= 0 && (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    errno = EMSGSIZE;
    return -1;
  }
  text->resize(n > 0 ? static_cast<size_t>(n) : 0);
  return n;
}

}  // namespace

LauncherServer::LauncherServer(UniqueFd listener, Options options, ServiceManager& manager,
                               std::function<void(std::string)> log)
    : listener_(std::move(listener)), options_(std::move(options)), manager_(manager), log_(std::move(log)) {}

const TaskConfig& LauncherServer::CurrentTasksConfig() {
  struct stat st {};
  const bool exists = ::stat(options_.config_path.c_str(), &st) == 0;
  const std::string stamp =
      exists ? fmt::format("{}:{}:{}.{}:{}", st.st_dev, st.st_ino, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_size)
             : "absent";
  if (stamp == config_stamp_) return tasks_;
  if (!exists) {
    tasks_ = TaskConfig{};  // no file: slothd runs on the defaults too
  } else {
    std::ifstream file(options_.config_path);
    std::stringstream text;
    text << file.rdbuf();
    auto parsed = ParseConfig(text.str(), options_.config_path);
    if (auto* error = std::get_if<ConfigError>(&parsed)) {
      // slothd refuses such a file too; until it is fixed, the last good one rules.
      log_(fmt::format("keeping the previous [tasks] settings: {}", error->ToString()));
    } else {
      tasks_ = std::get<Config>(parsed).tasks;
    }
  }
  config_stamp_ = stamp;
  return tasks_;
}

Result<void> LauncherServer::Handle(std::string_view text, std::vector<UniqueFd> fds) {
  auto request = DecodeRequest(text);
  if (!request) return Failure{fmt::format("refused: {}", request.error().message)};
  if (request->op == LauncherOp::kStop) {
    if (!fds.empty()) return Failure{"refused: a stop request carries no descriptors"};
    return manager_.StopUnit(request->unit);
  }
  const UnitStart& start = request->start;
  if (fds.size() != kLauncherStartFds) {
    return Failure{
        fmt::format("refused: a start request carries {} descriptors, not {}", fds.size(), kLauncherStartFds)};
  }
  if (auto allowed = AuthorizeStart(start, CurrentTasksConfig()); !allowed) return allowed;
  const int raw[kLauncherStartFds] = {fds[0].get(), fds[1].get(), fds[2].get()};
  return manager_.StartTransientUnit(start.unit, TaskUnitProperties(start, options_.exec_helper), raw);
}

void LauncherServer::ServeClient(int fd, bool* closed) {
  std::string text;
  std::vector<UniqueFd> fds;
  const ssize_t n = ReceiveMessage(fd, &text, &fds);
  if (n == 0 || (n < 0 && errno != EMSGSIZE && errno != EAGAIN)) {
    *closed = true;
    return;
  }
  Result<void> outcome =
      n < 0 ? Result<void>(Failure{"refused: the request is too large"}) : Handle(text, std::move(fds));
  if (!outcome) log_(outcome.error().message);
  const std::string reply = EncodeReply(outcome);
  if (::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) *closed = true;
}

int LauncherServer::Run(const sigset_t& stop_signals) {
  UniqueFd signals(::signalfd(-1, &stop_signals, SFD_CLOEXEC));
  std::map<int, UniqueFd> clients;
  for (;;) {
    std::vector<pollfd> fds = {{listener_.get(), POLLIN, 0}, {signals.get(), POLLIN, 0}};
    for (const auto& [fd, owned] : clients) fds.push_back({fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      log_(fmt::format("poll: {}", std::strerror(errno)));
      return 1;
    }
    if (fds[1].revents != 0) return 0;
    if (fds[0].revents & (POLLERR | POLLNVAL)) {
      log_("the listening socket failed");
      return 1;
    }
    if (fds[0].revents != 0) {
      UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      ucred peer{};
      socklen_t length = sizeof peer;
      if (client && ::getsockopt(client.get(), SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0) {
        if (peer.uid == 0 || peer.uid == options_.peer_uid) {
          clients.emplace(client.get(), std::move(client));
        } else {
          log_(fmt::format("refused a connection from uid {} (pid {}): only uid {} and root may start task units",
                           peer.uid, peer.pid, options_.peer_uid));
        }
      }
    }
    for (size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      bool closed = (fds[i].revents & (POLLHUP | POLLERR)) != 0 && (fds[i].revents & POLLIN) == 0;
      if (!closed) ServeClient(fds[i].fd, &closed);
      if (closed) clients.erase(fds[i].fd);
    }
  }
}

}  // namespace sloth
