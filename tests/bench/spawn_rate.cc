// The physical limit for task throughput: posix_spawn + waitpid of `/bin/sh -c true` from
// N threads, with no daemon in between. Prints tasks/s (one line, "spawn_rate N RATE").
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

extern char** environ;

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 4;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 5;
  std::atomic<long> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      char sh[] = "/bin/sh", c[] = "-c", cmd[] = "true";
      char* args[] = {sh, c, cmd, nullptr};
      while (!stop.load(std::memory_order_relaxed)) {
        pid_t pid;
        if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, args, environ) != 0) continue;
        int status;
        waitpid(pid, &status, 0);
        done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measuring window itself
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("spawn_rate %d %.1f\n", threads, static_cast<double>(done.load()) / elapsed);
  return 0;
}
