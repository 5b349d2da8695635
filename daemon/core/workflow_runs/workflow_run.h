#pragma once
// A workflow run as the agent reports it (DESIGN §3 "Workflows"): every task and group with its
// status, and the events a front end streams while the run goes on. Plain values; no thread owns
// them.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "common/duration.h"
#include "daemon/core/tasks/task.h"

namespace sloth {

struct WorkflowRunTask {
  std::string group, name;
  std::vector<std::string> depends_on;  // "group.task"
  // kQueued until it starts; kRunning while an attempt runs or waits to be retried; then success,
  // failed or skipped.
  TaskStatus status = TaskStatus::kQueued;
  uint32_t attempts = 0;
  std::string reason;  // why it was skipped or failed, or why the next attempt waits
  // The latest attempt as the runner reported it: its id (known from its start), exit code, times;
  // the kept output only when it failed. No id: it never ran.
  TaskResult last;
};

struct WorkflowRunGroup {
  std::string name;
  TaskStatus status = TaskStatus::kQueued;  // kRunning from its first task's start
  Duration duration{};                      // from its first task's start to its end
};

struct WorkflowRunResult {
  std::string id;                            // "w-000001-ab12"
  std::string workflow;                      // its name
  std::string source;                        // the file, as the caller named it
  TaskStatus status = TaskStatus::kRunning;  // then success or failed
  bool cancelled = false;
  std::string reason;  // empty on success: "deploy.migrate failed", "cancelled: the agent is stopping"
  std::chrono::system_clock::time_point start_time, end_time;
  Duration duration{};
  std::vector<WorkflowRunGroup> groups;
  std::vector<WorkflowRunTask> tasks;  // in file order; left out of listings
  struct Counts {
    uint32_t queued = 0, running = 0, success = 0, failed = 0, skipped = 0;
  } counts;  // of the tasks, by status
};

// What a run streams: it started (every task listed, queued), a task or a group changed. The
// result is returned by the call that ran it.
struct WorkflowTaskChange {
  std::string run_id;
  size_t index;
  WorkflowRunTask task;
};
struct WorkflowGroupChange {
  std::string run_id;
  size_t index;
  WorkflowRunGroup group;
};
using WorkflowEvent = std::variant<WorkflowRunResult, WorkflowTaskChange, WorkflowGroupChange>;
// Called with one event at a time, in order, from whichever thread made the change.
using WorkflowEventSink = std::function<void(const WorkflowEvent&)>;
// Called once a run has ended and is remembered, with its result.
using WorkflowEndSink = std::function<void(const WorkflowRunResult&)>;

}  // namespace sloth
