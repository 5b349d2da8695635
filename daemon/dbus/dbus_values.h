#pragma once
// slothd's values in D-Bus terms (proto/org.slothrunner.Agent1.xml): the translations the D-Bus
// front end makes, pure, so that they are tested without a bus.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <sdbus-c++/sdbus-c++.h>

#include "common/result.h"
#include "daemon/core/agent_info.h"
#include "daemon/core/tasks/task.h"
#include "daemon/core/workflow_runs/workflow_run.h"

namespace sloth {

// A ListTasks entry: (id, name, group, status, reason, exit_code, duration_seconds, start_time_unix_ms).
using TaskRow =
    sdbus::Struct<std::string, std::string, std::string, std::string, std::string, int32_t, double, int64_t>;

// D-Bus strings must be valid UTF-8 (sd-bus refuses to send anything else), while agent names,
// task names and commands from other front ends are bytes: invalid sequences and NUL become U+FFFD.
std::string ValidUtf8(std::string_view in);

std::map<std::string, sdbus::Variant> ToDbus(const AgentInfo& info);
std::map<std::string, sdbus::Variant> ToDbus(const TaskResult& task);
// ToDbus without the "output" key: a ListTasksEx entry.
std::map<std::string, sdbus::Variant> ToDbusWithoutOutput(const TaskResult& task);
// `spec` with RunTaskEx's options (user, memory_max, cpu_quota, tasks_max, all strings) applied,
// or what is wrong with them.
Result<TaskSpec> TaskSpecFromOptions(TaskSpec spec, const std::map<std::string, sdbus::Variant>& options);
TaskRow ToRow(const TaskResult& task);
// A workflow run (GetWorkflowRun; ListWorkflowRuns without tasks when it has none).
std::map<std::string, sdbus::Variant> ToDbus(const WorkflowRunResult& run);
bool IsFinished(TaskStatus status);

}  // namespace sloth
