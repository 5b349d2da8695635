#pragma once
// The open-file limit slothd needs for what it is configured to hold at once. Started by hand or
// by systemd, the soft limit is usually 1024, below the 1024 HTTP connections it admits by
// default plus the control socket's and the tasks' descriptors: slothd raises its soft limit
// toward the hard one (it uses epoll, never select(2), so a high limit costs nothing).
#include <cstdint>
#include <optional>
#include <string>

#include "daemon/core/config.h"

namespace sloth {

// HTTP and control connections, each running task's pipes and pidfd, and a margin for the rest.
uint64_t DescriptorsNeeded(const Config& config);

// Raises the soft RLIMIT_NOFILE to `needed` (never lowers it, never above the hard limit).
// Returns what to tell the operator when even the hard limit is below `needed`.
std::optional<std::string> RaiseDescriptorLimit(uint64_t needed);

}  // namespace sloth
