#pragma once
// Process mode (DESIGN §3 "Tasks"): each task is the daemon's own child, `/bin/sh -c CMD` in its
// own process group (TaskProcess), as the daemon's user and inside whatever sandbox the daemon
// runs in. memory_max becomes the shell's RLIMIT_AS (address space, inherited by its children);
// cpu_quota and tasks_max need a unit and are reported as not enforced. Thread-safe.
#include <string>

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

 private:
  const std::string own_user_;
};

// The name of the user this process runs as ("uid 1234" when it has none).
std::string CurrentUserName();

}  // namespace sloth
