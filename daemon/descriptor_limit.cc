#include "daemon/descriptor_limit.h"

#include <sys/resource.h>

#include <algorithm>

#include <fmt/format.h>

#include "daemon/grpc/control_socket.h"

namespace sloth {

uint64_t DescriptorsNeeded(const Config& config) {
  constexpr uint64_t kPerTask = 4;   // stdout and stderr pipes (ours and the child's end), pidfd
  constexpr uint64_t kMargin = 128;  // listeners, journal, D-Bus, /proc reads, libraries
  return uint64_t{config.telemetry.max_connections} + kMaxControlConnections + kPerTask * config.tasks.max_concurrent +
         kMargin;
}

std::optional<std::string> RaiseDescriptorLimit(uint64_t needed) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) return std::nullopt;
  const rlim_t raised = limit.rlim_max == RLIM_INFINITY ? needed : std::min<rlim_t>(needed, limit.rlim_max);
  if (raised > limit.rlim_cur) {
    limit.rlim_cur = raised;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  if (raised >= needed) return std::nullopt;
  return fmt::format(
      "the open-file limit is {}, below the {} the configured limits may need at once; connections will be "
      "refused past it (raise LimitNOFILE, or lower [telemetry] max_connections)",
      raised, needed);
}

}  // namespace sloth
