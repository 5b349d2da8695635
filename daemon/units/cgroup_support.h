#pragma once
// Which limits task units will get on this host, read from the cgroup file system at start: a
// unit can be limited only by the controllers systemd may use. Pure v2 (Debian 12's default):
// the controllers of the root cgroup. The hybrid and v1 layouts: the controllers in whose
// hierarchy systemd gave slothd.service a cgroup of its own (the unit asks for memory, CPU and
// tasks accounting, so systemd does so wherever it can). Each task's own report says what held.
#include <string>

#include "daemon/core/tasks/task_limits.h"

namespace sloth {

// `cgroup_root` and `self_cgroup` are parameters for the tests: "/sys/fs/cgroup" and the text of
// /proc/self/cgroup on a real system.
LimitSupport CgroupLimitSupport(const std::string& cgroup_root, const std::string& self_cgroup);
// The same for this process.
LimitSupport CgroupLimitSupport();

}  // namespace sloth
