#pragma once
// Process mode (DESIGN §3 "Tasks"): each task is the daemon's own child, `/bin/sh -c CMD` in its
// own process group (TaskProcess), as the daemon's user and inside whatever sandbox the daemon
// runs in. memory_max becomes the shell's RLIMIT_AS (address space, inherited by its children);
// cpu_quota and tasks_max need a unit and are reported as not enforced. A process that leaves the
// task's group is still the task's (TaskProcessTable). Thread-safe.
#include <string>

#include "daemon/core/tasks/task_process_table.h"
#include "daemon/core/tasks/task_starter.h"

namespace sloth {

class ProcessStarter final : public TaskStarter {
 public:
  // `own_user`: the name of the user the daemon runs as.
  explicit ProcessStarter(std::string own_user);

  std::string_view mode() const override { return "process"; }
  Result<std::string> TaskUser(std::string_view requested, const std::string& configured) const override;
  LimitSupport support() const override;
  Result<std::unique_ptr<RunningTask>> Start(const LaunchRequest& request) override;
  // Kills the recorded shell (if its start time says it is the same process) and every process
  // that carries the task's id, with their descendants.
  bool StopLeftover(std::string_view task_id, const RunningTaskRecord& record) override;

 private:
  const std::string own_user_;
  TaskProcessTable table_;  // makes this process a child subreaper
};

// The name of the user this process runs as ("uid 1234" when it has none).
std::string CurrentUserName();

}  // namespace sloth
