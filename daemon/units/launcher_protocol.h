#pragma once
// What slothd and slothd-launcher (the privileged launcher of task units, daemon/launcher) say to
// each other over the launcher's socket, a SOCK_SEQPACKET Unix socket: one JSON object per
// message each way, a request and its reply. A start request carries the unit's standard input,
// output and error as three descriptors (SCM_RIGHTS), in that order.
//
//   {"op":"start","unit":"sloth-task-t-000001-9f3c.service","agent":"web1","task_id":"t-000001-9f3c",
//    "task_name":"deploy","group":"adhoc","command":"make install","user":"root","workdir":"/",
//    "env":[["K","V"]],"memory_max":536870912,"cpu_quota":50,"tasks_max":64,
//    "kill_grace_usec":5000000,"runtime_max_usec":3665000000}
//   {"op":"stop","unit":"sloth-task-t-000001-9f3c.service"}
//   reply: {"ok":true} or {"ok":false,"error":"..."}
//
// Limits are absent when not set. Strings are UTF-8 (they become D-Bus strings).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "daemon/core/tasks/transient_units.h"

namespace sloth {

// The largest message either side sends or accepts: a single argument of execve is limited to
// 128 KiB anyway, and the default socket buffers hold this much.
inline constexpr size_t kLauncherMaxMessage = 192 * 1024;
inline constexpr size_t kLauncherStartFds = 3;

enum class LauncherOp { kStart, kStop };

struct LauncherRequest {
  LauncherOp op = LauncherOp::kStart;
  UnitStart start;   // op == kStart (its descriptor fields are not part of the text)
  std::string unit;  // op == kStop
};

Result<std::string> EncodeStartRequest(const UnitStart& start);
std::string EncodeStopRequest(std::string_view unit);
std::string EncodeReply(const Result<void>& outcome);

// The request in `text`, its fields checked for shape: a task unit's name, an absolute working
// directory, environment names, no NUL anywhere. Whether the user may be used is the launcher's
// own decision (LaunchPolicy).
Result<LauncherRequest> DecodeRequest(std::string_view text);
Result<void> DecodeReply(std::string_view text);

// Whether `unit` is the name of a task unit: "sloth-task-" then 1 to 64 of A-Z a-z 0-9 - _, then
// ".service".
bool IsTaskUnitName(std::string_view unit);

}  // namespace sloth
