#include "daemon/health_checks.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace sloth {

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

std::optional<std::string> DescriptorVerdict(bool free_near_limit, uint64_t limit) {
  if (free_near_limit) return std::nullopt;
  return fmt::format(
      "file descriptors nearly exhausted: the last {} of {} are in use; connections and tasks are refused until some "
      "close (raise LimitNOFILE, lower [telemetry] max_connections)",
      kDescriptorReserve, limit);
}

std::optional<std::string> DescriptorProblem() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  if (limit.rlim_cur <= kDescriptorReserve) return std::nullopt;
  const int probe = ::fcntl(0, F_DUPFD_CLOEXEC, static_cast<int>(limit.rlim_cur - kDescriptorReserve));
  if (probe >= 0) ::close(probe);
  return DescriptorVerdict(probe >= 0, limit.rlim_cur);
}

}  // namespace sloth
