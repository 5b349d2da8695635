#pragma once
// Runs tasks (doc/ARCHITECTURE.md §3, §7) with a concurrency limit, a bounded FIFO queue, timeouts,
// cancellation, output capture, telemetry, logging and a bounded history. Pure daemon core:
// front ends (gRPC, D-Bus) translate their types and call these functions.
//
// Decisions:
// - Ids are "t-<6-digit sequence>-<4 random hex>", e.g. "t-000042-9f3c": short, ordered within a
//   run, and unlikely to repeat across restarts (the random part is drawn per id).
// - A request refused at admission (queue full, shutting down, invalid, a user not allowed) is no
//   task (TaskRefusal): no id, no history entry, nothing in sloth_tasks_total; it is counted in
//   sloth_errors_total{type="task_refused"} and logged. A task cancelled while queued was admitted:
//   it is kept and counted as "failed" (cancelled), with no duration sample.
// - Options::on_change lets a front end (D-Bus TaskFinished / TasksRunning) and tests observe
//   state changes without polling.
// - A timeout <= 0 means no timeout.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/duration.h"
#include "common/log.h"
#include "common/result.h"
#include "common/worker_pool.h"
#include "daemon/core/tasks/task.h"
#include "daemon/core/tasks/task_journal.h"
#include "daemon/core/tasks/task_starter.h"
#include "daemon/core/telemetry/telemetry.h"

namespace sloth {

// Thread-safe: Complete() follows its task on the calling thread, Start() on a worker thread the
// runner owns; every other call may come from any thread. Every task takes one path: Begin admits
// it, Complete spawns and follows it (Start is the two, on a worker).
class TaskRunner {
 public:
  using OutputSink = std::function<void(OutputStream, std::string_view chunk)>;
  // Called outside the runner's lock, on the thread that made the change, with a snapshot (no
  // kept output except for finished tasks): queued, running, then finished.
  using ChangeObserver = std::function<void(const TaskResult&)>;

  struct Options {
    uint32_t max_concurrent = 16;
    uint32_t max_queued = 256;
    Duration default_timeout = std::chrono::hours(1);
    Duration kill_grace = std::chrono::seconds(5);
    size_t max_kept_output_bytes = 1024 * 1024;
    std::string default_workdir = "/";
    size_t history_size = 100;
    // Set for every task, before what its request sets ([tasks] environment).
    std::vector<std::pair<std::string, std::string>> environment;
    ChangeObserver on_change;  // optional
    // Who tasks run as and where (DESIGN §3 "Tasks"). A request may name `default_user` or one of
    // `allowed_users`; the starter decides whether it can run as that user.
    std::string default_user = "root";
    std::vector<std::string> allowed_users;
    TaskLimits default_limits;
    // Where tasks run; it must outlive the runner. nullptr: process mode (ProcessStarter).
    TaskStarter* starter = nullptr;
    // Where the journal of started and finished tasks is kept (TaskJournal); empty: none, and a
    // restart forgets the history.
    std::string state_dir;
  };

  // With a state directory: the history comes back from its journal, and the tasks an earlier
  // slothd left running (it crashed, or was killed with SIGKILL) are stopped and recorded failed.
  TaskRunner(Options options, Telemetry& telemetry, Logger& logger);
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;
  // Shutdown(0) if not done yet, then waits for every task and joins the worker threads.
  ~TaskRunner();

  // A task in two steps, for a front end that receives requests on one thread and follows tasks
  // on others: Begin admits the task (its id is known from then on) and never waits; Complete, on
  // the thread that will follow the task, waits for a slot if it was queued, spawns it, passes
  // its output to `on_output` synchronously as it arrives (a slow sink slows the task:
  // backpressure through the pipe), enforces the timeout, reaps, records and returns the result.
  // Spawning on that thread, not in Begin, keeps the receiving thread free, and the thread that
  // waits for the exec is the one that then waits for the exit: nothing is left to do between
  // the two. A handle dropped without Complete cancels its task and finishes it. `notice` is
  // called on the same thread if the task is still queued or running at its time.
  class Started {
   public:
    Started() = default;
    Started(Started&& other) noexcept;
    Started& operator=(Started&& other) noexcept;
    ~Started();
    explicit operator bool() const { return task_ != nullptr; }
    const std::string& id() const;

   private:
    friend class TaskRunner;
    struct Active;
    Started(TaskRunner* runner, std::shared_ptr<Active> task);
    void Abandon(std::string reason = "cancelled: the caller failed");
    TaskRunner* runner_ = nullptr;
    std::shared_ptr<Active> task_;
  };
  // Refused at admission (queue full, shutting down, an invalid spec, a user not allowed): why;
  // counted and logged, not recorded as a task.
  Result<Started, TaskRefusal> Begin(TaskSpec spec);
  TaskResult Complete(Started started, const OutputSink& on_output, TaskNotice notice = {});

  // Begin, then Complete on a worker thread without an output sink: for front ends whose clients
  // follow the task later. Its id, or why it was refused.
  Result<std::string, TaskRefusal> Start(TaskSpec spec);

  // Queued: removed and finished as failed/cancelled. Running: SIGTERM to every process of the
  // task (its process group, or its unit), SIGKILL after kill_grace. False if the id is unknown
  // or already finished.
  bool Cancel(std::string_view id);

  // Running tasks, then queued ones (in queue order), then the finished ones still in the
  // history, newest first.
  std::vector<TaskResult> List() const;
  std::optional<TaskResult> Get(std::string_view id) const;
  size_t running() const;

  // Refuses new tasks ("shutting down"), cancels queued ones, lets running ones finish for up to
  // `grace`, then cancels them (SIGTERM, SIGKILL after kill_grace). Returns true if every task
  // had finished by grace + kill_grace.
  bool Shutdown(Duration grace);

 private:
  using Active = Started::Active;
  using ActivePtr = std::shared_ptr<Active>;

  // Admits a task: running (slot free), queued, or refused (counted and logged here).
  Result<ActivePtr, TaskRefusal> Admit(TaskSpec spec);
  TaskRefusal Refuse(const TaskSpec& spec, TaskRefusal refusal);
  TaskResult Execute(const ActivePtr& task, const OutputSink& on_output, TaskNotice notice = {});
  // Marks a running task started (times, telemetry, log, observers) and starts it (nullptr and
  // the reason in *spawn_error on failure). Once per task, by the thread that follows it.
  std::unique_ptr<RunningTask> Launch(const ActivePtr& task, std::string* spawn_error);
  // Empty if the task may run as its user, which it resolves; else why not.
  std::string AdmitUser(Active& task) const;
  // Counts a begun task not yet completed or abandoned (the destructor waits for none).
  void EnterInFlight();
  void LeaveInFlight();
  struct LeaveInFlightAtExit {
    TaskRunner* runner;
    ~LeaveInFlightAtExit() { runner->LeaveInFlight(); }
  };
  // Cancels a task nobody will follow and finishes it here (a spawned process is killed).
  void CancelAndFinish(const ActivePtr& task, std::string reason);
  TaskResult Finish(const ActivePtr& task, TaskResult result, bool ran);
  // The history from the journal, and what an earlier life left running, stopped and recorded.
  void Recover();
  std::string NextIdLocked();
  TaskResult SnapshotLocked(const Active& task) const;
  void Notify(const TaskResult& snapshot) const;
  void RequestCancelLocked(Active& task, std::string reason);
  // The task at the front of the queue may go (a slot is free): its follower is woken, no other.
  void WakeQueueFrontLocked();

  const Options options_;
  std::unique_ptr<TaskStarter> own_starter_;  // when Options::starter is null
  TaskStarter& starter_;
  Telemetry& telemetry_;
  Logger& logger_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // a task finished or was cancelled, a caller left (Shutdown, destructor)
  bool shutting_down_ = false;
  uint64_t sequence_ = 0;
  std::mt19937 random_;
  size_t running_ = 0;
  size_t in_flight_ = 0;                                  // begun tasks not yet completed or abandoned
  std::map<std::string, ActivePtr, std::less<>> active_;  // queued and running, by id
  std::deque<ActivePtr> queue_;                           // queued, FIFO
  std::deque<TaskResult> history_;                        // finished, newest first
  std::unique_ptr<TaskJournal> journal_;                  // with a state directory

  WorkerPool workers_{"slothd-task", 4};  // Start()
};

}  // namespace sloth
