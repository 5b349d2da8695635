#pragma once
// The rate benchmarks' common frame: `loop` runs on `threads` threads until the measuring window
// of `seconds` has passed and `stop` is set; returns the seconds elapsed until every thread has
// finished its last iteration (the denominator of a rate).
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

namespace sloth::bench {

inline double RunForWindow(int threads, double seconds,
                           const std::function<void(const std::atomic<bool>& stop)>& loop) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) workers.emplace_back([&] { loop(stop); });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measuring window itself
  stop = true;
  for (auto& w : workers) w.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// User and system CPU time of this process so far, in seconds (a client's own cost per call).
inline double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace sloth::bench
