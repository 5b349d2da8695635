#pragma once
// org.slothrunner.Agent1's dictionaries (a{sv}) as sloth.v1 messages, for the D-Bus client: what
// GetTask and GetWorkflowRun return, and what the workflow signals carry. Pure; missing or
// mistyped keys give the field's default (clients ignore keys they do not know).
#include <map>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "sloth/v1/agent.pb.h"

namespace sloth::ctl {

using DbusDict = std::map<std::string, sdbus::Variant>;

// The value at `key`, or `fallback` when it is missing or of another type.
template <typename T>
T DbusGet(const DbusDict& d, const char* key, T fallback = {}) {
  auto it = d.find(key);
  if (it == d.end()) return fallback;
  try {
    return it->second.get<T>();
  } catch (const sdbus::Error&) {
    return fallback;
  }
}

// "queued", "running", "success", "failed", "skipped"; UNSPECIFIED otherwise.
v1::TaskStatus TaskStatusFromDbus(const std::string& status);

// Without the output (GetTask's "output", which RunTask hands on as an output event).
void FillTask(const DbusDict& d, v1::TaskResult* task);
// GetWorkflowRun's dictionary (ListWorkflowRuns' entries have no "tasks").
void FillWorkflowRun(const DbusDict& d, v1::WorkflowRun* run);

}  // namespace sloth::ctl
