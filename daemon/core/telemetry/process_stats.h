#pragma once
// The standard process_* metrics, read from /proc/self at scrape time (prometheus-cpp has none).
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

namespace sloth {

struct ProcessStats {
  double cpu_seconds_total = 0;  // user + system
  uint64_t resident_memory_bytes = 0;
  uint64_t virtual_memory_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;
  double start_time_seconds = 0;  // since the Unix epoch
  uint64_t threads = 0;
};

// Pure: the fields of /proc/<pid>/stat (see proc(5)). `boot_time` is /proc/stat's btime.
// open_fds and max_fds are left 0. nullopt when the text is malformed.
std::optional<ProcessStats> ParseProcStat(std::string_view stat, long ticks_per_second, long page_size,
                                          double boot_time);

// Pure: the btime line of /proc/stat.
std::optional<double> ParseBootTime(std::string_view proc_stat);

// Reads /proc/self; the constant parts (tick rate, page size, boot time) once, at construction.
// Thread-safe after construction.
class ProcessStatsReader {
 public:
  ProcessStatsReader();
  // nullopt if /proc is not readable (the metrics are then left out, not faked).
  std::optional<ProcessStats> Read() const;

  // open_fds is counted by listing /proc/self/fd, which costs in proportion to the descriptors
  // open: counted for every scrape, 1,500 connections made each scrape 15 times dearer
  // (doc/RELIABILITY.md). The count is reused for this long.
  static constexpr std::chrono::milliseconds kOpenFdsReuse{1000};

 private:
  uint64_t OpenFds() const;

  long ticks_per_second_;
  long page_size_;
  double boot_time_ = 0;
  mutable std::mutex open_fds_mutex_;
  mutable std::chrono::steady_clock::time_point open_fds_at_{};
  mutable uint64_t open_fds_ = 0;
};

}  // namespace sloth
