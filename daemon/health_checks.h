#pragma once
// What /health (and GetHealth) check besides the agent's own state: the resources the agent
// needs to keep working, each reported with what is wrong and what to do. Read live at every
// check, so that /health recovers as soon as the resource does, without a restart.
// Thread-safe (no state).
#include <cstdint>
#include <optional>
#include <string>

namespace sloth {

// Below this much free space the state directory counts as full.
inline constexpr uint64_t kMinStateDirFreeBytes = 1024 * 1024;

// The state directory is missing, not writable (read-only file system, permissions) or full.
std::optional<std::string> StateDirProblem(const std::string& path);

// The last descriptors below the open-file limit are kept for answering this and logging.
inline constexpr uint64_t kDescriptorReserve = 16;

// The process is at (or within kDescriptorReserve of) its open file limit: new connections and
// tasks fail. O(1): it asks for a free descriptor among the last ones (descriptors are handed
// out lowest first, so those are taken only when nearly all are), never lists them.
std::optional<std::string> DescriptorProblem();

// Pure: the verdict for `limit` (RLIMIT_NOFILE's soft value) when a free descriptor among the
// last kDescriptorReserve was found or not.
std::optional<std::string> DescriptorVerdict(bool free_near_limit, uint64_t limit);

}  // namespace sloth
