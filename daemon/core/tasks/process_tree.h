#pragma once
// Reading the process tree from /proc, for finding every process of a task in process mode: those
// still below its shell, and those that left it (`setsid cmd &`, a double fork), which a child
// subreaper (slothd, ProcessStarter) gets as its own children, each still carrying the task's id in
// the environment it was started with (kTaskIdVariable). Plain functions; /proc is read afresh on
// every call.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sloth {

// Set in every process-mode task's environment: how a process that left its task is found again.
inline constexpr std::string_view kTaskIdVariable = "SLOTH_TASK_ID";

// What /proc/PID/stat says of a process.
struct ProcessStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgid = 0;
  char state = '?';      // 'R', 'S', 'Z', ...
  bool exiting = false;  // PF_EXITING: on its way out (killed, say), not yet a zombie
  // Where its environment starts (field 50). 0 from an exec's point of no return until the new
  // image's environment is set (TaskIdOf reads nothing then), and for a process whose memory we
  // may not inspect; another value after each exec (address space layout randomisation).
  uint64_t env_start = 0;
  uint64_t start_ticks = 0;  // field 22: clock ticks after boot; with the pid, one process for good
};

// nullopt when the process is gone (or /proc cannot be read).
std::optional<ProcessStat> ReadProcessStat(pid_t pid);

// The children of `pid` (of each of its threads), from /proc/PID/task/*/children.
std::vector<pid_t> ChildrenOf(pid_t pid);
// The children of one thread `tid` of process `pid` (those it started, and the orphans a subreaper
// is handed when `tid` is its first live thread).
std::vector<pid_t> ChildrenOfThread(pid_t pid, pid_t tid);

// Every descendant of `pid` (not `pid` itself), parents before their children.
std::vector<pid_t> DescendantsOf(pid_t pid);

// The value of kTaskIdVariable in the environment `pid` was started with; "" when it has none or
// cannot be read.
std::string TaskIdOf(pid_t pid);

// Every process on the machine (/proc's numeric entries).
std::vector<pid_t> AllProcesses();

}  // namespace sloth
