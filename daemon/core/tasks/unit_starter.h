#pragma once
// Unit mode (DESIGN §3 "Tasks"): each task is a transient service `sloth-task-<id>.service` in
// sloth.slice, started through TransientUnits like `systemd-run --pipe --wait` would, with the
// task's standard output and error handed over as pipes the runner reads, and its standard input
// a socket on which its main process (slothd-task-exec) reports. Thread-safe.
#include <string>

#include "daemon/core/tasks/task_starter.h"
#include "daemon/core/tasks/transient_units.h"

namespace sloth {

class UnitStarter final : public TaskStarter {
 public:
  // `support`: the limits task units are expected to get on this host (CgroupSupport); `agent`:
  // the agent's name, for the units' journal fields.
  UnitStarter(TransientUnits& units, LimitSupport support, std::string agent);

  std::string_view mode() const override { return "unit"; }
  // `requested` or `configured`, if the system knows such a user.
  Result<std::string> TaskUser(std::string_view requested, const std::string& configured) const override;
  LimitSupport support() const override { return support_; }
  Result<std::unique_ptr<RunningTask>> Start(const LaunchRequest& request) override;
  // Stops the task's unit (systemd kills every process in its cgroup).
  bool StopLeftover(std::string_view task_id, const RunningTaskRecord& record) override;

 private:
  TransientUnits& units_;
  const LimitSupport support_;
  const std::string agent_;
};

// "sloth-task-<id>.service".
std::string TaskUnitName(std::string_view task_id);

}  // namespace sloth
