#pragma once
// The service manager as unit mode needs it: start a transient task unit with the task's standard
// input, output and error handed over as descriptors, stop it, and learn how it ended. Implemented
// by the adapter in daemon/units (the privileged launcher starts and stops, a D-Bus watcher
// follows the units); tests implement it with local processes. Thread-safe.
#include <memory>
#include <optional>
#include <string>

#include "common/duration.h"
#include "common/result.h"
#include "daemon/core/tasks/task.h"
#include "daemon/core/tasks/task_limits.h"

namespace sloth {

// Everything a task unit is made of. The descriptors are lent for the call: the implementation
// passes them on and closes nothing.
struct UnitStart {
  std::string unit;                              // "sloth-task-<id>.service"
  std::string agent, task_id, task_name, group;  // Description= and the journal fields (SLOTH_*)
  std::string command;                           // run as `/bin/sh -c command` under slothd-task-exec
  std::string user;
  std::string workdir;
  std::vector<std::pair<std::string, std::string>> env;
  TaskLimits limits;       // only the set ones are applied
  Duration kill_grace{};   // TimeoutStopSec=: SIGTERM to every process, SIGKILL after it
  Duration runtime_max{};  // RuntimeMaxSec=, a backstop should slothd be gone; zero: none
  int report_fd = -1;      // the unit's standard input: slothd-task-exec reports there
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// How a unit ended, from the manager's own properties.
struct UnitEnd {
  std::string result;     // Result=: "success", "exit-code", "signal", "core-dump", "oom-kill", "timeout", ...
  int exec_code = 0;      // ExecMainCode=: CLD_EXITED (1), CLD_KILLED (2), CLD_DUMPED (3); 0: never ran
  int exec_status = 0;    // ExecMainStatus=: the exit status or the signal
  bool vanished = false;  // unloaded before its end was seen (the other fields are unknown)
};

// One unit's end, owned by the thread that follows its task.
class UnitWatch {
 public:
  virtual ~UnitWatch() = default;
  // Becomes readable once the unit is inactive or failed with no job pending.
  virtual int fd() const = 0;
  // The end, once fd() is readable; nullopt before.
  virtual std::optional<UnitEnd> end() const = 0;
};

class TransientUnits {
 public:
  virtual ~TransientUnits() = default;
  // Follows `unit` from now on: called before Start, so no end can be missed.
  virtual Result<std::unique_ptr<UnitWatch>> Watch(const std::string& unit) = 0;
  virtual Result<void> Start(const UnitStart& request) = 0;
  // Stops the unit: KillSignal= (SIGTERM) to all its processes, SIGKILL after its kill_grace.
  virtual Result<void> Stop(const std::string& unit) = 0;
};

}  // namespace sloth
