#pragma once
// Turns SIGINT/SIGTERM into a callback on a thread of its own, so a streaming call can cancel
// its task instead of dying with it.
#include <signal.h>

#include <functional>
#include <thread>

namespace sloth::ctl {

// Constructed and destroyed by the command's thread; `on_signal` runs on the watcher's thread,
// once per signal received.
class InterruptWatcher {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread before any other thread exists (threads
  // started later, such as gRPC's, inherit the mask) and starts watching.
  explicit InterruptWatcher(std::function<void(int signal)> on_signal);
  // Stops watching and restores the previous signal mask.
  ~InterruptWatcher();
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

 private:
  void Watch();

  std::function<void(int)> on_signal_;
  sigset_t previous_mask_{};
  int signal_fd_ = -1;
  int stop_fd_ = -1;
  std::thread thread_;
};

}  // namespace sloth::ctl
