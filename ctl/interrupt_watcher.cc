#include "ctl/interrupt_watcher.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdint>
#include <system_error>

namespace sloth::ctl {

InterruptWatcher::InterruptWatcher(std::function<void(int signal)> on_signal) : on_signal_(std::move(on_signal)) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  if (int rc = pthread_sigmask(SIG_BLOCK, &mask, &previous_mask_); rc != 0) {
    throw std::system_error(rc, std::generic_category(), "pthread_sigmask");
  }
  signal_fd_ = signalfd(-1, &mask, SFD_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_CLOEXEC);
  if (signal_fd_ < 0 || stop_fd_ < 0) {
    const int error = errno;
    if (signal_fd_ >= 0) close(signal_fd_);
    if (stop_fd_ >= 0) close(stop_fd_);
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
    throw std::system_error(error, std::generic_category(), "signalfd/eventfd");
  }
  thread_ = std::thread([this] { Watch(); });
}

InterruptWatcher::~InterruptWatcher() {
  const uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof one) < 0) {
    // Cannot happen for a fresh eventfd; joining would hang, so detach rather than block.
    thread_.detach();
  } else {
    thread_.join();
  }
  close(signal_fd_);
  close(stop_fd_);
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void InterruptWatcher::Watch() {
  pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    if (fds[0].revents) {
      signalfd_siginfo info{};
      if (read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        on_signal_(static_cast<int>(info.ssi_signo));
      }
    }
  }
}

}  // namespace sloth::ctl
