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

// The process is at (or within a few of) its open file limit: new connections and tasks fail.
std::optional<std::string> DescriptorProblem();

// Pure: the verdict on `open` descriptors of `limit` (RLIMIT_NOFILE's soft value). Tight when
// fewer than a handful are left, or none could even be counted (`open` nullopt: EMFILE itself).
std::optional<std::string> DescriptorVerdict(std::optional<uint64_t> open, uint64_t limit);

}  // namespace sloth
