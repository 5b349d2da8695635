#pragma once
// What the thread following a task watches for, whichever place the task runs in: its deadline,
// the grace between SIGTERM and SIGKILL, and cancellation; and the poll() timeout to a deadline.
#include <algorithm>
#include <chrono>
#include <climits>

#include "common/duration.h"

namespace sloth {

struct SupervisionLimits {
  std::chrono::steady_clock::time_point deadline;  // stop the task when reached
  Duration kill_grace{};                           // SIGTERM, then SIGKILL after this long
  int cancel_fd = -1;                              // becomes readable when the task is cancelled (-1: never)
};

// Milliseconds until `when` for poll(), rounded up so we never wake early and spin.
inline int PollTimeoutMs(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::time_point when) {
  if (when <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(when - now).count();
  return static_cast<int>(std::min<long long>(ms, INT_MAX));
}

}  // namespace sloth
