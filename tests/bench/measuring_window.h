#pragma once
// The rate benchmarks' common frame: `loop` runs on `threads` threads until the measuring window
// of `seconds` has passed and `stop` is set; returns the seconds elapsed until every thread has
// finished its last iteration (the denominator of a rate).
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

}  // namespace sloth::bench
