#include "daemon/launcher/task_unit_properties.h"

#include <fmt/format.h>

#include <chrono>

namespace sloth {
namespace {

uint64_t Usec(Duration d) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

// Journal field values are single lines here: a name with a newline would start a new field.
std::string OneLine(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

std::vector<UnitProperty> TaskUnitProperties(const UnitStart& start, const std::string& exec_helper) {
  std::vector<UnitProperty> p;
  p.push_back({"Description", fmt::format("slothd task {} ({}, group {})", OneLine(start.task_name), start.task_id,
                                          OneLine(start.group))});
  p.push_back({"Slice", std::string(kTaskSlice)});
  // Unloaded once inactive, even when failed: nothing is left loaded after a task.
  p.push_back({"CollectMode", std::string("inactive-or-failed")});
  p.push_back({"Type", std::string("simple")});
  p.push_back({"User", start.user});
  p.push_back({"WorkingDirectory", start.workdir});
  // The shell expands its command, not systemd: no $VAR substitution in the arguments.
  p.push_back(
      {"ExecStartEx",
       ExecLine{exec_helper, {exec_helper, "--report-fd=0", "--", "/bin/sh", "-c", start.command}, {"no-env-expand"}}});
  p.push_back({"StandardInputFileDescriptor", FdSlot{0}});
  p.push_back({"StandardOutputFileDescriptor", FdSlot{1}});
  p.push_back({"StandardErrorFileDescriptor", FdSlot{2}});
  // As in process mode, the task starts with SIGPIPE at its default.
  p.push_back({"IgnoreSIGPIPE", false});
  if (!start.env.empty()) {
    std::vector<std::string> env;
    for (const auto& [name, value] : start.env) env.push_back(name + "=" + value);
    p.push_back({"Environment", std::move(env)});
  }
  // Records the task itself sends to the journal (logger, systemd-cat) carry the agent's fields.
  p.push_back({"LogExtraFields",
               JournalFields{{"SLOTH_AGENT=" + OneLine(start.agent), "SLOTH_TASK=" + OneLine(start.task_name),
                              "SLOTH_GROUP=" + OneLine(start.group), "SLOTH_TASK_ID=" + OneLine(start.task_id)}}});
  // A stop (timeout, cancel) sends SIGTERM to every process of the task, SIGKILL after the grace.
  p.push_back({"KillMode", std::string("control-group")});
  p.push_back({"TimeoutStopUSec", Usec(start.kill_grace)});
  if (start.runtime_max > Duration::zero()) p.push_back({"RuntimeMaxUSec", Usec(start.runtime_max)});
  p.push_back({"CPUAccounting", true});
  p.push_back({"MemoryAccounting", true});
  p.push_back({"TasksAccounting", true});
  if (start.limits.memory_max) p.push_back({"MemoryMax", *start.limits.memory_max});
  // CPUQuota=N% is N * 10 ms of CPU time per second.
  if (start.limits.cpu_quota) p.push_back({"CPUQuotaPerSecUSec", *start.limits.cpu_quota * 10000});
  if (start.limits.tasks_max) p.push_back({"TasksMax", *start.limits.tasks_max});
  return p;
}

}  // namespace sloth
