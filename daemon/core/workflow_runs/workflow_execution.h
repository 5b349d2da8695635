#pragma once
// One workflow run on the agent: the pure WorkflowScheduler's decisions carried out with the task
// runner. The thread that calls Run follows tasks; when a task ends, its thread applies the
// scheduler's decisions and goes on with the next task to start itself (a chain runs on one
// thread, with no hand-off between tasks), and tasks that may start beside it go to threads of
// the followers' pool. Retry delays are waited out on the thread that called Run.
// Events reach the sink outside the run's lock, one at a time and in order (see EmitQueued), so
// a sink may call into the agent (D-Bus signals) without risking a lock cycle.
// Thread-safe: Cancel and Snapshot may come from any thread while Run runs.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/worker_pool.h"
#include "daemon/core/tasks/task_runner.h"
#include "daemon/core/telemetry/telemetry.h"
#include "daemon/core/workflow_runs/workflow_run.h"
#include "daemon/core/workflows/workflow.h"
#include "daemon/core/workflows/workflow_scheduler.h"

namespace sloth {

class WorkflowExecution : public std::enable_shared_from_this<WorkflowExecution> {
 public:
  struct Parts {
    TaskRunner& runner;
    Telemetry& telemetry;
    Logger& log;
    WorkerPool& followers;  // threads for tasks that run beside the caller's
  };

  // `max_parallel` caps the run's running tasks (a group's `parallel` may lower it for the group).
  WorkflowExecution(std::string id, Workflow workflow, uint32_t max_parallel, Parts parts, WorkflowEventSink on_event);
  WorkflowExecution(const WorkflowExecution&) = delete;
  WorkflowExecution& operator=(const WorkflowExecution&) = delete;

  const std::string& id() const { return id_; }

  // Runs the workflow to its end on the calling thread (once) and returns its result; the started
  // event comes first, then every change.
  WorkflowRunResult Run();

  // Skips every task not started yet and ends waiting retries; stops the running tasks (SIGTERM,
  // then SIGKILL) when `stop_running`, else lets them finish. False if the run had ended or was
  // cancelled already.
  bool Cancel(const std::string& reason, bool stop_running);

  // The run as it stands; without the task list (its counts only) when `with_tasks` is false.
  WorkflowRunResult Snapshot(bool with_tasks) const;

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  using Lock = std::unique_lock<std::mutex>;

  // Takes tasks to start (and, on the thread that called Run, due retries) until there are none
  // (a follower of the pool) or the run has ended (the caller of Run).
  void Follow(Lock& lock, bool caller);
  // One attempt of `task` on this thread: begun, followed to its end, its outcome applied.
  void Attempt(size_t task, Lock& lock);
  // Carries out the scheduler's decisions; `subject` is the task the decisions answer for (its
  // final status is reported first). `caller_follows`: the calling thread takes a task next.
  void Apply(const WorkflowScheduler::Decisions& decisions, std::optional<size_t> subject, bool caller_follows,
             Lock& lock);
  void Finish(size_t task, Lock& lock);
  void Skipped(size_t task, const std::string& reason);
  void GroupFinished(size_t group);
  void StartFollowers(size_t count);
  void Queue(WorkflowEvent event) { outbox_.push_back(std::move(event)); }
  void QueueTask(size_t task) { Queue(WorkflowTaskChange{id_, task, run_.tasks[task]}); }
  // Hands the queued events to the sink, unlocked; if another thread is doing so, it takes these too.
  void EmitQueued(Lock& lock);
  // Logs with the run's SLOTH_WORKFLOW and SLOTH_RUN_ID besides `fields`.
  void Log(LogLevel level, const std::string& message, std::string_view message_id, std::vector<LogField> fields) const;
  WorkflowRunResult SnapshotLocked(bool with_tasks) const;

  const std::string id_;
  const Workflow workflow_;
  const Parts parts_;
  const WorkflowEventSink on_event_;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable changed_;
  WorkflowScheduler scheduler_;
  WorkflowRunResult run_;
  std::vector<std::optional<SteadyTime>> group_started_;
  SteadyTime started_;
  std::deque<size_t> ready_;                   // decided to start, not taken by a thread yet
  std::multimap<SteadyTime, size_t> retries_;  // failed attempts waiting for their delay
  std::map<size_t, std::string> begun_;        // task -> the runner's id of its attempt running now
  size_t followers_ = 0;                       // pool threads in Follow
  bool caller_waiting_ = false;                // the thread in Run waits for work
  bool finishing_ = false;                     // Run waits for the followers and the emitter to end
  bool cancelled_ = false;
  bool stop_running_ = false;
  std::string cancel_reason_;
  std::vector<WorkflowEvent> outbox_;
  bool emitting_ = false;
};

}  // namespace sloth
