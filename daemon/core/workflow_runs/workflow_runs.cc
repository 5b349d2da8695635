#include "daemon/core/workflow_runs/workflow_runs.h"

#include <fmt/format.h>

namespace sloth {

WorkflowRuns::WorkflowRuns(Options options, TaskRunner& runner, Telemetry& telemetry, Logger& log)
    : options_(options), runner_(runner), telemetry_(telemetry), log_(log) {}

WorkflowRuns::~WorkflowRuns() {
  Stop("the agent is stopping", true);
  Drain();
  started_.Drain();
  followers_.Drain();
}

Result<std::shared_ptr<WorkflowExecution>> WorkflowRuns::Admit(Workflow workflow, WorkflowEventSink on_event) {
  std::lock_guard lock(mutex_);
  if (stopping_) return Failure{"the agent is stopping: no new workflow runs"};
  std::string id = fmt::format("w-{:06}-{:04x}", ++sequence_, random_() & 0xffffu);
  auto run = std::make_shared<WorkflowExecution>(id, std::move(workflow), options_.max_parallel,
                                                 WorkflowExecution::Parts{runner_, telemetry_, log_, followers_},
                                                 std::move(on_event));
  active_.emplace(std::move(id), run);
  return run;
}

void WorkflowRuns::Remember(const std::shared_ptr<WorkflowExecution>& run, WorkflowRunResult result) {
  {
    std::lock_guard lock(mutex_);
    active_.erase(run->id());
    if (options_.history > 0) {
      history_.push_front(std::move(result));
      if (history_.size() > options_.history) history_.pop_back();
    }
  }
  ended_.notify_all();
}

void WorkflowRuns::Drain() {
  std::unique_lock lock(mutex_);
  ended_.wait(lock, [this] { return active_.empty(); });
}

Result<WorkflowRunResult> WorkflowRuns::Run(Workflow workflow, const WorkflowEventSink& on_event) {
  auto run = Admit(std::move(workflow), on_event);
  if (!run) return run.error();
  WorkflowRunResult result = (*run)->Run();
  Remember(*run, result);
  return result;
}

Result<std::string> WorkflowRuns::Start(Workflow workflow, WorkflowEventSink on_event, WorkflowEndSink on_end) {
  auto run = Admit(std::move(workflow), std::move(on_event));
  if (!run) return run.error();
  std::shared_ptr<WorkflowExecution> execution = *run;
  auto submitted = started_.Submit([this, execution, on_end = std::move(on_end)] {
    WorkflowRunResult result = execution->Run();
    Remember(execution, result);
    if (on_end) on_end(result);
  });
  if (!submitted) {
    Remember(execution, execution->Snapshot(true));
    return Failure{fmt::format("no thread to run the workflow: {}", submitted.error().message)};
  }
  return execution->id();
}

WorkflowRuns::Found WorkflowRuns::Find(std::string_view id) const {
  std::lock_guard lock(mutex_);
  if (auto it = active_.find(id); it != active_.end()) return Found{it->second, std::nullopt};
  for (const auto& finished : history_) {
    if (finished.id == id) return Found{nullptr, finished};
  }
  return {};
}

WorkflowRuns::CancelOutcome WorkflowRuns::Cancel(std::string_view id, const std::string& reason) {
  const Found found = Find(id);
  if (found.active) {
    return found.active->Cancel(reason, /*stop_running=*/true) ? CancelOutcome::kCancelled : CancelOutcome::kFinished;
  }
  return found.finished ? CancelOutcome::kFinished : CancelOutcome::kUnknown;
}

std::optional<WorkflowRunResult> WorkflowRuns::Get(std::string_view id) const {
  Found found = Find(id);
  if (found.active) return found.active->Snapshot(true);
  return std::move(found.finished);
}

std::vector<WorkflowRunResult> WorkflowRuns::List() const {
  std::vector<std::shared_ptr<WorkflowExecution>> active;
  std::vector<WorkflowRunResult> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, run] : active_) active.push_back(run);
    for (const auto& finished : history_) {
      out.push_back(finished);
      out.back().tasks.clear();
    }
  }
  std::vector<WorkflowRunResult> running;
  running.reserve(active.size());
  for (const auto& run : active) running.push_back(run->Snapshot(false));
  out.insert(out.begin(), running.begin(), running.end());
  return out;
}

void WorkflowRuns::Stop(const std::string& reason, bool stop_running) {
  std::vector<std::shared_ptr<WorkflowExecution>> active;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (const auto& [id, run] : active_) active.push_back(run);
  }
  for (const auto& run : active) run->Cancel(reason, stop_running);
}

}  // namespace sloth
