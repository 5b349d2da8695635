#pragma once
// The production path of a task, Begin then Complete, on the calling thread as one call: what the
// tests and the runner benchmark need. `assigned_id` is set once the task is admitted, before it
// runs, so another thread may cancel it.
#include <string>
#include <utility>

#include "daemon/core/tasks/task_runner.h"

namespace sloth {

// A task running `command`, everything else the runner's default.
inline TaskSpec Shell(std::string command) {
  TaskSpec spec;
  spec.command = std::move(command);
  return spec;
}

inline TaskResult RunToEnd(TaskRunner& runner, TaskSpec spec, const TaskRunner::OutputSink& on_output = {},
                           std::string* assigned_id = nullptr) {
  auto begun = runner.Begin(std::move(spec));
  if (!begun) {  // refused at admission: no task, so no id; a failed result that says why
    TaskResult refused;
    refused.status = TaskStatus::kFailed;
    refused.reason = begun.error().reason;
    return refused;
  }
  if (assigned_id != nullptr) *assigned_id = begun->id();
  return runner.Complete(std::move(begun).value(), on_output);
}

}  // namespace sloth
