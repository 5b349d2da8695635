#pragma once
// The one-line report slothd-task-exec (daemon/task_exec) sends when the shell it ran has exited:
// how it ended and what the task consumed, measured from inside the task's own cgroup and from
// getrusage, which works whatever cgroup layout the host has. In unit mode it is the unit's main
// process and the report travels over the unit's standard input (a socket slothd holds the
// other end of); the shell gets /dev/null there.
//
//   slothd-task-exec/1 exit=3 cpu_usec=1834 cpu_from=cgroup mem_peak=4390912 mem_from=rusage
//     oom_kills=0 memory=0 cpu=0 pids=1                                         (one line, "\n")
//
// exit=N or signal=N (the shell's), or spawn_errno=N when the shell could not be started;
// cpu_from / mem_from: "cgroup" (the whole task) or "rusage" (the shell and what it waited for;
// memory: the largest process); memory, cpu, pids: 1 when the task's cgroup has that controller,
// i.e. memory_max, cpu_quota, tasks_max are enforced on it. Unknown keys are ignored.
#include <optional>
#include <string_view>

#include "daemon/core/tasks/task_limits.h"

namespace sloth {

inline constexpr std::string_view kExecReportMagic = "slothd-task-exec/1";

struct ExecReport {
  int exit_code = -1;  // -1 unless the shell exited normally
  int signal = 0;
  int spawn_errno = 0;  // the shell could not be started
  TaskUsage usage;
  bool cpu_whole_task = false;
  bool memory_controller = false;
  bool cpu_controller = false;
  bool pids_controller = false;
  bool operator==(const ExecReport&) const = default;
};

// nullopt when `line` is not a report (wrong magic, no exit/signal/spawn_errno).
std::optional<ExecReport> ParseExecReport(std::string_view line);

// What the task's cgroup enforces, as LimitSupport (reasons for the missing controllers).
LimitSupport SupportFromReport(const ExecReport& report);

}  // namespace sloth
