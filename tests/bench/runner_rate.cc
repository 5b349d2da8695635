// The task runner alone, no front end: N threads calling TaskRunner::Run("true") in a loop for a
// fixed time. Between spawn_rate (the physical limit) and task_throughput (the agent over gRPC),
// it shows what the runner's own work per task costs (pipes, process group, pidfd supervision,
// telemetry, history). Prints "runner_rate N RATE FAILED".
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "common/log.h"
#include "daemon/core/tasks/task_runner.h"
#include "daemon/core/telemetry/telemetry.h"

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 4;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 5;
  sloth::Logger log(std::make_unique<sloth::ConsoleLogSink>(stderr), sloth::LogLevel::kWarning);
  sloth::Telemetry telemetry(sloth::CurrentBuildIdentity("bench"), {});
  sloth::TaskRunner::Options options;
  options.max_concurrent = 64;
  sloth::TaskRunner runner(options, telemetry, log);
  std::atomic<long> ok{0}, failed{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        sloth::TaskSpec spec;
        spec.command = "true";
        spec.name = "bench";
        const bool success = runner.Run(std::move(spec)).status == sloth::TaskStatus::kSuccess;
        (success ? ok : failed).fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measuring window itself
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("runner_rate %d %.1f %ld\n", threads, static_cast<double>(ok.load()) / elapsed, failed.load());
  return 0;
}
