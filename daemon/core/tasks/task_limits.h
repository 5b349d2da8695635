#pragma once
// Per-task resource limits, what a task consumed, and their text forms (DESIGN §3 "Tasks").
// Shared by the configuration, the control front ends and both places a task runs. Pure values.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace sloth {

// A limit set to kNoLimit is lifted explicitly ("max"); an unset one falls back to the default.
inline constexpr uint64_t kNoLimit = UINT64_MAX;

struct TaskLimits {
  std::optional<uint64_t> memory_max;  // bytes: MemoryMax= (unit mode), RLIMIT_AS (process mode)
  std::optional<uint64_t> cpu_quota;   // percent of one CPU: CPUQuota= (unit mode only)
  std::optional<uint64_t> tasks_max;   // processes and threads: TasksMax= (unit mode only)
  bool operator==(const TaskLimits&) const = default;
};

// Each field of `request` where set, else the one of `defaults`; kNoLimit becomes unset, so the
// result holds only the limits to apply.
TaskLimits EffectiveLimits(const TaskLimits& defaults, const TaskLimits& request);

// What one task consumed. Where the task's cgroup has a memory controller the peak covers all its
// processes together; elsewhere it is the largest single process (getrusage's ru_maxrss).
struct TaskUsage {
  bool measured = false;   // false: the task never ran, or was killed before it could be measured
  double cpu_seconds = 0;  // user + system, every process of the task that was waited for
  uint64_t memory_peak_bytes = 0;
  bool memory_peak_whole_task = false;  // true: the cgroup's peak; false: the largest process
  uint64_t oom_kills = 0;               // processes of the task killed by the kernel's OOM killer
  bool operator==(const TaskUsage&) const = default;
};

// Which limits the place tasks run enforces: for each, empty when enforced, else why not
// ("no memory controller for task units (cgroup v2 without it)").
struct LimitSupport {
  std::string memory;
  std::string cpu;
  std::string tasks;
  bool operator==(const LimitSupport&) const = default;
};

// The limits of `applied` that `support` does not enforce, each with the reason, joined by "; "
// ("memory_max=64M not enforced: ..."). Empty when none.
std::string LimitsNotEnforced(const TaskLimits& applied, const LimitSupport& support);

// Text forms, as systemd writes them. Memory: bytes with an optional K, M, G or T suffix (powers
// of 1024), at least 1M, or "max". CPU quota: "N%" of one CPU (200% = two CPUs), or "max". Tasks:
// a count of at least 1, or "max". Errors say what is allowed.
Result<uint64_t> ParseMemoryMax(std::string_view text);
Result<uint64_t> ParseCpuQuota(std::string_view text);
Result<uint64_t> ParseTasksMax(std::string_view text);
// A request's limits from their texts; an empty text leaves that limit to the default. The
// failure names the field: "memory_max: expected ...".
Result<TaskLimits> RequestLimits(std::string_view memory_max, std::string_view cpu_quota, std::string_view tasks_max);
std::string FormatMemorySize(uint64_t bytes);  // "512M", "1536K", "max"
std::string FormatCpuQuota(uint64_t percent);  // "50%", "max"
std::string FormatTasksMax(uint64_t count);    // "64", "max"

}  // namespace sloth
