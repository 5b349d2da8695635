#pragma once
// The agent's workflow runs (DESIGN §3 "Workflows"): each run gets an id ("w-000001-ab12") and is
// executed by a WorkflowExecution; the runs in progress and the last few finished are kept for
// listing and for clients that follow a run by its id (D-Bus). Pure daemon core, like the task
// runner: threads and processes, no RPC types.
// Thread-safe; Run executes on the calling thread, Start on a thread of its own.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "common/result.h"
#include "common/worker_pool.h"
#include "daemon/core/tasks/task_runner.h"
#include "daemon/core/telemetry/telemetry.h"
#include "daemon/core/workflow_runs/workflow_execution.h"
#include "daemon/core/workflow_runs/workflow_run.h"
#include "daemon/core/workflows/workflow.h"

namespace sloth {

class WorkflowRuns {
 public:
  struct Options {
    uint32_t max_parallel = 16;  // tasks of one run at once ([workflows] max_parallel)
    size_t history = 20;         // finished runs remembered ([workflows] history)
  };

  enum class CancelOutcome { kCancelled, kUnknown, kFinished };

  WorkflowRuns(Options options, TaskRunner& runner, Telemetry& telemetry, Logger& log);
  WorkflowRuns(const WorkflowRuns&) = delete;
  WorkflowRuns& operator=(const WorkflowRuns&) = delete;
  // Stop("the agent is stopping", true) if not done, then waits for the runs started with Start.
  ~WorkflowRuns();

  // Runs `workflow` on the calling thread until every task has its status, handing `on_event`
  // every change in order; refused (the agent is stopping): why.
  Result<WorkflowRunResult> Run(Workflow workflow, const WorkflowEventSink& on_event);
  // The same on a thread of the registry's own; returns the run's id at once. `on_end` gets the
  // result once the run is remembered (Get finds it ended).
  Result<std::string> Start(Workflow workflow, WorkflowEventSink on_event, WorkflowEndSink on_end);

  CancelOutcome Cancel(std::string_view id, const std::string& reason);
  // A run in progress (as it stands) or remembered.
  std::optional<WorkflowRunResult> Get(std::string_view id) const;
  // Runs in progress, then finished ones, newest first; without their task lists (counts only).
  std::vector<WorkflowRunResult> List() const;

  // Refuses new runs; in every run, skips the tasks not started and, when `stop_running`, stops
  // the running ones (else the task runner's own shutdown decides when they end).
  void Stop(const std::string& reason, bool stop_running);
  // Waits until no run is in progress (after Stop, each ends once its running tasks have).
  void Drain();

  // Whether `id` names a run rather than a task ("w-..." vs "t-...").
  static bool IsRunId(std::string_view id) { return id.starts_with("w-"); }

 private:
  Result<std::shared_ptr<WorkflowExecution>> Admit(Workflow workflow, WorkflowEventSink on_event);
  // A run by id: in progress, or remembered; neither when unknown.
  struct Found {
    std::shared_ptr<WorkflowExecution> active;
    std::optional<WorkflowRunResult> finished;
  };
  Found Find(std::string_view id) const;
  void Remember(const std::shared_ptr<WorkflowExecution>& run, WorkflowRunResult result);

  const Options options_;
  TaskRunner& runner_;
  Telemetry& telemetry_;
  Logger& log_;
  WorkerPool followers_{"slothd-flow", 16};
  WorkerPool started_{"slothd-flow-run", 2};  // Start()'s runs

  mutable std::mutex mutex_;       // guards what follows
  std::condition_variable ended_;  // a run left active_
  bool stopping_ = false;
  uint64_t sequence_ = 0;
  std::mt19937 random_{std::random_device{}()};
  std::map<std::string, std::shared_ptr<WorkflowExecution>, std::less<>> active_;
  std::deque<WorkflowRunResult> history_;  // newest first
};

}  // namespace sloth
