#pragma once
// When each task of a workflow run starts, as a state machine: events in (the run starts, an
// attempt ended, a retry delay passed, the run is cancelled), decisions out (start these, retry
// those after their delay, skip these and why, these groups are done). No clock, no thread, no
// process: the executor carries the decisions out and reports back.
//
// Rules. A task starts once every task it depends on and every task of the groups its group
// depends on has succeeded or was skipped by its `when`, within its group's `parallel` and the
// run's limit (file order among the ready). A failed attempt is retried (up to `retries` times,
// holding its slot) unless cancelled. A task that fails for good makes its dependants `skipped`,
// with the reason; so does a group that did not succeed, for the groups that depend on it.
// Cancel skips every task not started; what runs ends as it ends (the executor stops it).
// Group status: failed if a task failed or was skipped for a failure after others ran; skipped
// if none of its tasks ran; success otherwise. Thread-compatible: one caller at a time.
#include <cstdint>
#include <deque>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "daemon/core/tasks/task.h"
#include "daemon/core/workflows/workflow.h"

namespace sloth {

class WorkflowScheduler {
 public:
  enum class Attempt { kSucceeded, kFailed, kCancelled };  // kCancelled: never retried

  struct Decisions {
    std::vector<size_t> start;  // start now (attempt number: attempts())
    std::vector<size_t> retry;  // failed with retries left: call RetryDue after its retry_delay
    std::vector<std::pair<size_t, std::string>> skipped;  // with the reason
    std::vector<size_t> groups_finished;                  // status: group_status()
    bool finished = false;                                // every task has its final status
  };

  // `workflow` must outlive the scheduler; `max_parallel` (>= 1) caps the run's running tasks.
  WorkflowScheduler(const Workflow& workflow, uint32_t max_parallel);

  Decisions Start();
  Decisions AttemptFinished(size_t task, Attempt outcome);
  // After a cancel the task is failed for good instead.
  Decisions RetryDue(size_t task);
  Decisions Cancel(const std::string& reason);
  // A start the executor did not carry out because the run was cancelled first: a first attempt
  // is skipped with the cancel's reason (it never ran), a retry ends the task as failed.
  Decisions StartWithdrawn(size_t task);

  // kQueued before it starts, kRunning while an attempt runs or waits to be retried.
  TaskStatus status(size_t task) const { return tasks_[task].status; }
  // Why a task was skipped; empty otherwise.
  const std::string& reason(size_t task) const { return tasks_[task].reason; }
  uint32_t attempts(size_t task) const { return tasks_[task].attempts; }
  // kQueued until a task of it starts, kRunning until all have their status.
  TaskStatus group_status(size_t group) const { return groups_[group].status; }
  bool finished() const { return unfinished_ == 0; }
  bool cancelled() const { return cancelled_; }
  // Success when every task succeeded or was skipped by its `when`; failed otherwise.
  TaskStatus run_status() const { return unsatisfied_ == 0 ? TaskStatus::kSuccess : TaskStatus::kFailed; }
  size_t running() const { return running_; }

 private:
  struct TaskState {
    TaskStatus status = TaskStatus::kQueued;
    uint32_t attempts = 0;
    size_t waiting_for = 0;  // unsatisfied task dependencies + groups its group depends on
    bool by_condition = false;
    std::string reason;
    std::string root_cause;  // the failure behind a skip: "deploy.build failed"
  };
  struct GroupState {
    TaskStatus status = TaskStatus::kQueued;
    uint32_t limit = 1;
    uint32_t running = 0;
    size_t unfinished = 0;
    bool any_ran = false;
    bool any_failed = false;
    bool any_blocked = false;  // skipped for a failure or a cancel
    std::string root_cause;    // its first failure, for its dependants' reasons
    std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  };

  // A task that may now start, or, if its `when` is false, be skipped as satisfied.
  void DependencySatisfied(size_t task, Decisions& out);
  void Block(size_t task, std::string reason, std::string root_cause);
  // A task has its final status: its group may be done.
  void Terminal(size_t task);
  void GroupFinished(size_t group, Decisions& out);
  // Works through what the calls above queued, without recursion (a chain may be long).
  void Propagate(Decisions& out);
  void FillSlots(Decisions& out);
  void FinishAttempts(size_t task, bool succeeded, Decisions& out);

  struct BlockItem {
    size_t task;
    std::string reason, root_cause;
  };
  const Workflow& workflow_;
  const uint32_t max_parallel_;
  std::vector<TaskState> tasks_;
  std::vector<GroupState> groups_;
  std::vector<std::vector<size_t>> dependants_;        // task -> tasks that depend on it
  std::vector<std::vector<size_t>> group_dependants_;  // group -> groups that depend on it
  size_t running_ = 0;
  size_t unfinished_ = 0;
  size_t unsatisfied_ = 0;  // tasks failed or skipped for a failure or a cancel
  bool cancelled_ = false;
  std::string cancel_reason_;
  std::vector<size_t> satisfied_queue_;  // dependants not yet told
  std::vector<BlockItem> block_queue_;
  std::deque<size_t> finished_groups_queue_;  // their dependants not yet told
};

}  // namespace sloth
