#include "daemon/core/telemetry/process_stats.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <string>

namespace sloth {
namespace {

// Reads a small /proc file in one go (they are generated on read and never large here).
std::optional<std::string> ReadSmallFile(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  std::array<char, 4096> buf;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

template <typename T>
bool ParseNumber(std::string_view field, T* out) {
  auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), *out);
  return ec == std::errc() && ptr == field.data() + field.size();
}

}  // namespace

std::optional<ProcessStats> ParseProcStat(std::string_view stat, long ticks_per_second, long page_size,
                                          double boot_time) {
  // The command name is in parentheses and may itself contain spaces and ')': fields start
  // after the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
  std::string_view rest = stat.substr(close + 1);
  // Fields 3.. of proc(5), 0-based from `state`.
  std::array<std::string_view, 22> fields;
  size_t count = 0;
  while (count < fields.size()) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n')) rest.remove_prefix(1);
    if (rest.empty()) break;
    const auto end = rest.find_first_of(" \n");
    fields[count++] = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  }
  if (count < fields.size()) return std::nullopt;
  uint64_t utime = 0, stime = 0, threads = 0, starttime = 0, vsize = 0;
  int64_t rss_pages = 0;
  if (!ParseNumber(fields[11], &utime) || !ParseNumber(fields[12], &stime) || !ParseNumber(fields[17], &threads) ||
      !ParseNumber(fields[19], &starttime) || !ParseNumber(fields[20], &vsize) ||
      !ParseNumber(fields[21], &rss_pages)) {
    return std::nullopt;
  }
  ProcessStats stats;
  stats.cpu_seconds_total = static_cast<double>(utime + stime) / static_cast<double>(ticks_per_second);
  stats.threads = threads;
  stats.start_time_seconds = boot_time + static_cast<double>(starttime) / static_cast<double>(ticks_per_second);
  stats.virtual_memory_bytes = vsize;
  stats.resident_memory_bytes = rss_pages > 0 ? static_cast<uint64_t>(rss_pages) * static_cast<uint64_t>(page_size) : 0;
  return stats;
}

std::optional<double> ParseBootTime(std::string_view proc_stat) {
  size_t pos = 0;
  while (pos < proc_stat.size()) {
    auto end = proc_stat.find('\n', pos);
    if (end == std::string_view::npos) end = proc_stat.size();
    std::string_view line = proc_stat.substr(pos, end - pos);
    if (line.starts_with("btime ")) {
      uint64_t value = 0;
      if (ParseNumber(line.substr(6), &value)) return static_cast<double>(value);
      return std::nullopt;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

ProcessStatsReader::ProcessStatsReader()
    : ticks_per_second_(::sysconf(_SC_CLK_TCK)), page_size_(::sysconf(_SC_PAGESIZE)) {
  if (auto text = ReadSmallFile("/proc/stat")) {
    if (auto btime = ParseBootTime(*text)) boot_time_ = *btime;
  }
}

std::optional<ProcessStats> ProcessStatsReader::Read() const {
  auto text = ReadSmallFile("/proc/self/stat");
  if (!text) return std::nullopt;
  auto stats = ParseProcStat(*text, ticks_per_second_, page_size_, boot_time_);
  if (!stats) return std::nullopt;
  stats->open_fds = OpenFds();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) stats->max_fds = limit.rlim_cur;
  return stats;
}

uint64_t ProcessStatsReader::OpenFds() const {
  std::lock_guard lock(open_fds_mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (open_fds_at_ != std::chrono::steady_clock::time_point{} && now - open_fds_at_ < kOpenFdsReuse) return open_fds_;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    uint64_t n = 0;
    while (const dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.') ++n;
    }
    ::closedir(dir);
    open_fds_ = n > 0 ? n - 1 : 0;  // not counting the directory's own descriptor
    open_fds_at_ = now;
  }
  return open_fds_;
}

}  // namespace sloth
