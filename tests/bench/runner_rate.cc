// The task runner alone, no front end: N threads running "true" (Begin, then Complete) in a loop for a
// fixed time. Between spawn_rate (the physical limit) and task_throughput (the agent over gRPC),
// it shows what the runner's own work per task costs (pipes, process group, pidfd supervision,
// telemetry, history). Prints "runner_rate N RATE FAILED".
#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "common/log.h"
#include "daemon/core/tasks/task_runner.h"
#include "daemon/core/telemetry/telemetry.h"
#include "tests/bench/measuring_window.h"
#include "tests/unit/daemon/core/tasks/run_to_end.h"

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 4;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 5;
  sloth::Logger log(std::make_unique<sloth::ConsoleLogSink>(stderr), sloth::LogLevel::kWarning);
  sloth::Telemetry telemetry(sloth::CurrentBuildIdentity("bench"), {});
  sloth::TaskRunner::Options options;
  options.max_concurrent = 64;
  sloth::TaskRunner runner(options, telemetry, log);
  std::atomic<long> ok{0}, failed{0};
  const double elapsed = sloth::bench::RunForWindow(threads, seconds, [&](const std::atomic<bool>& stop) {
    while (!stop.load(std::memory_order_relaxed)) {
      sloth::TaskSpec spec;
      spec.command = "true";
      spec.name = "bench";
      const bool success = sloth::RunToEnd(runner, std::move(spec)).status == sloth::TaskStatus::kSuccess;
      (success ? ok : failed).fetch_add(1, std::memory_order_relaxed);
    }
  });
  std::printf("runner_rate %d %.1f %ld\n", threads, static_cast<double>(ok.load()) / elapsed, failed.load());
  return 0;
}
