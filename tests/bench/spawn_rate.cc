// The physical limit for task throughput: posix_spawn + waitpid of `/bin/sh -c true` from
// N threads, with no daemon in between. Prints tasks/s (one line, "spawn_rate N RATE").
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "tests/bench/measuring_window.h"

extern char** environ;

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 4;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 5;
  std::atomic<long> done{0};
  const double elapsed = sloth::bench::RunForWindow(threads, seconds, [&](const std::atomic<bool>& stop) {
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
  std::printf("spawn_rate %d %.1f\n", threads, static_cast<double>(done.load()) / elapsed);
  return 0;
}
