#include "tests/integration/notify_listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace sloth::test {

NotifyListener::NotifyListener(std::string path) : path_(std::move(path)) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
  ::unlink(path_.c_str());
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind notify");
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  stop_ = ::eventfd(0, EFD_CLOEXEC);
  thread_ = std::thread([this] { Receive(); });
}

NotifyListener::~NotifyListener() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_, &one, sizeof one);
  thread_.join();
  ::close(fd_);
  ::close(stop_);
  ::unlink(path_.c_str());
}

void NotifyListener::Receive() {
  pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    char buf[4096];
    char control[CMSG_SPACE(sizeof(int) * 16) + CMSG_SPACE(sizeof(ucred))];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) continue;
    // Descriptors passed along (sd_notify barriers) must be closed, or they leak.
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) ::close(reinterpret_cast<int*>(CMSG_DATA(c))[i]);
      }
    }
    std::lock_guard lock(mutex_);
    messages_.emplace_back(buf, static_cast<size_t>(n));
    changed_.notify_all();
  }
}

std::string NotifyListener::WaitFor(const std::function<bool(const std::string&)>& match,
                                    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::string found;
  changed_.wait_for(lock, timeout, [&] {
    for (const auto& m : messages_) {
      if (match(m)) {
        found = m;
        return true;
      }
    }
    return false;
  });
  return found;
}

std::string NotifyListener::WaitForContaining(const std::string& needle, std::chrono::milliseconds timeout) {
  return WaitFor([&](const std::string& m) { return m.find(needle) != std::string::npos; }, timeout);
}

size_t NotifyListener::Count(const std::string& needle) {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const auto& m : messages_) n += m.find(needle) != std::string::npos;
  return n;
}

bool NotifyListener::WaitForCount(const std::string& needle, size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    size_t count = 0;
    for (const auto& m : messages_) count += m.find(needle) != std::string::npos;
    return count >= n;
  });
}

std::vector<std::string> NotifyListener::Messages() {
  std::lock_guard lock(mutex_);
  return messages_;
}

}  // namespace sloth::test
