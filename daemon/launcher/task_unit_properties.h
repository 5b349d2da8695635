#pragma once
// The properties of a task unit, as slothd-launcher passes them to StartTransientUnit: what
// `systemd-run --pipe --wait --collect --slice=sloth.slice` would set, plus the task's user,
// limits and journal fields. Pure: the D-Bus call that sends them is service_manager.cc.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "daemon/core/tasks/transient_units.h"

namespace sloth {

inline constexpr std::string_view kTaskSlice = "sloth.slice";

// One of the descriptors sent with the request (0: standard input, 1: output, 2: error).
struct FdSlot {
  int index;
  bool operator==(const FdSlot&) const = default;
};
// ExecStartEx=: the program, its argv and systemd's flags for it.
struct ExecLine {
  std::string path;
  std::vector<std::string> argv;
  std::vector<std::string> flags;
  bool operator==(const ExecLine&) const = default;
};

// LogExtraFields=: "FIELD=value" entries, sent as byte arrays (D-Bus type aay).
struct JournalFields {
  std::vector<std::string> entries;
  bool operator==(const JournalFields&) const = default;
};

struct UnitProperty {
  std::string name;
  std::variant<std::string, uint64_t, bool, std::vector<std::string>, FdSlot, ExecLine, JournalFields> value;
  bool operator==(const UnitProperty&) const = default;
};

// `exec_helper`: the absolute path of slothd-task-exec, the unit's main process.
std::vector<UnitProperty> TaskUnitProperties(const UnitStart& start, const std::string& exec_helper);

}  // namespace sloth
