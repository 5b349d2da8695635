#include "daemon/health_checks.h"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace sloth {
namespace {

// Descriptors kept in reserve: a /health answer, a log line, a task's pipes.
constexpr uint64_t kDescriptorReserve = 16;

std::optional<uint64_t> CountOpenDescriptors() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  uint64_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the directory's own descriptor
}

}  // namespace

std::optional<std::string> StateDirProblem(const std::string& path) {
  if (::access(path.c_str(), W_OK) != 0) {
    return fmt::format("state directory {} is not writable: {}", path, std::strerror(errno));
  }
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) return std::nullopt;  // writable: let a write say more
  if (fs.f_flag & ST_RDONLY) return fmt::format("state directory {} is on a read-only file system", path);
  const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free_bytes < kMinStateDirFreeBytes) {
    return fmt::format("state directory {} is full ({} bytes free); free some space on its file system", path,
                       free_bytes);
  }
  if (fs.f_files > 0 && fs.f_favail == 0) {
    return fmt::format("state directory {} has no free inodes; free some on its file system", path);
  }
  return std::nullopt;
}

std::optional<std::string> DescriptorVerdict(std::optional<uint64_t> open, uint64_t limit) {
  if (!open) {
    return fmt::format("out of file descriptors (limit {}): connections and tasks are refused until some close", limit);
  }
  if (*open + kDescriptorReserve < limit) return std::nullopt;
  return fmt::format(
      "file descriptors nearly exhausted: {} of {} in use; connections and tasks are refused until some close "
      "(raise LimitNOFILE, lower [telemetry] max_connections)",
      *open, limit);
}

std::optional<std::string> DescriptorProblem() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return DescriptorVerdict(CountOpenDescriptors(), limit.rlim_cur);
}

}  // namespace sloth
