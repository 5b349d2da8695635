#pragma once
// slothd's side of the launcher's socket (launcher_protocol.h): asks slothd-launcher, the small
// privileged process that may talk to the service manager, to start and stop task units.
// Thread-safe: requests from the task threads take turns on one connection (the launcher serves
// one at a time anyway), made on first use and made again if the launcher went away.
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"
#include "daemon/core/tasks/transient_units.h"

namespace sloth {

class LauncherClient {
 public:
  explicit LauncherClient(std::string socket_path);

  // Passes the unit's standard input, output and error with the request.
  Result<void> Start(const UnitStart& start);
  Result<void> Stop(std::string_view unit);
  // Connects now, so that a missing launcher is reported at start rather than at the first task.
  Result<void> Connect();

  const std::string& socket_path() const { return path_; }

 private:
  Result<void> ConnectLocked();
  Result<void> Exchange(const std::string& request, std::span<const int> fds);

  const std::string path_;
  std::mutex mutex_;
  UniqueFd fd_;  // guarded by mutex_
};

}  // namespace sloth
