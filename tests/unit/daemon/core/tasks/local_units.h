#pragma once
// TransientUnits without a service manager, for the tests of unit mode: each "unit" is a local
// child process run the way systemd runs a task unit's main process: the real slothd-task-exec,
// with the handed-over descriptors as its standard input, output and error, in the working
// directory (a missing one ends the unit as systemd does, exit status 200/CHDIR), in a process
// group of its own that stands for the unit's cgroup. Stop sends SIGTERM to the group and SIGKILL
// after the unit's kill_grace. Thread-safe; a thread follows each unit.
#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "daemon/core/tasks/transient_units.h"

namespace sloth {

class LocalUnits final : public TransientUnits {
 public:
  explicit LocalUnits(std::string exec_helper);
  ~LocalUnits() override;  // kills what still runs and joins the followers

  Result<std::unique_ptr<UnitWatch>> Watch(const std::string& unit) override;
  Result<void> Start(const UnitStart& request) override;
  Result<void> Stop(const std::string& unit) override;

  // What Start received (descriptors left out), in order.
  std::vector<UnitStart> started() const;
  // Makes Start fail with this message (empty: start normally).
  void RefuseStarts(std::string message);
  // Lets a test change how the manager reports a unit's end (e.g. Result=oom-kill).
  void AdjustEnds(std::function<void(UnitEnd&)> adjust);

 private:
  struct Unit;
  void Follow(std::shared_ptr<Unit> unit);

  const std::string exec_helper_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Unit>> units_;
  std::vector<UnitStart> started_;
  std::string refusal_;
  std::function<void(UnitEnd&)> adjust_;
  std::vector<std::thread> followers_;
};

}  // namespace sloth
