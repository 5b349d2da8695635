#include "daemon/core/workflow_runs/workflow_execution.h"

#include <fmt/format.h>

#include "common/message_ids.h"

namespace sloth {
namespace {

// A task's running event is sent only if it still runs this long after it began (with the
// attempt's id, to follow it by): most tasks end sooner, and then their result is the one event
// they cost, as ad-hoc tasks' started event (ControlService::kStartedEventDelay).
constexpr auto kRunningEventDelay = std::chrono::milliseconds(20);

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

bool IsFinal(TaskStatus s) {
  return s == TaskStatus::kSuccess || s == TaskStatus::kFailed || s == TaskStatus::kSkipped;
}

// "app.test failed", "3 tasks failed: app.test, app.lint, release.migrate"
std::string FailureSummary(const WorkflowRunResult& run) {
  std::vector<std::string> failed;
  for (const auto& task : run.tasks) {
    if (task.status == TaskStatus::kFailed) failed.push_back(task.group + "." + task.name);
  }
  if (failed.empty()) return "tasks were skipped";
  if (failed.size() == 1) return failed.front() + " failed";
  std::string names;
  for (size_t i = 0; i < failed.size() && i < 3; ++i) names += (i == 0 ? "" : ", ") + failed[i];
  if (failed.size() > 3) names += fmt::format(" and {} more", failed.size() - 3);
  return fmt::format("{} tasks failed: {}", failed.size(), names);
}

}  // namespace

WorkflowExecution::WorkflowExecution(std::string id, Workflow workflow, uint32_t max_parallel, Parts parts,
                                     WorkflowEventSink on_event)
    : id_(std::move(id)),
      workflow_(std::move(workflow)),
      parts_(parts),
      on_event_(std::move(on_event)),
      scheduler_(workflow_, max_parallel),
      group_started_(workflow_.groups.size()) {
  run_.id = id_;
  run_.workflow = workflow_.name;
  run_.source = workflow_.source;
  for (const WorkflowGroup& group : workflow_.groups) run_.groups.push_back({group.name, TaskStatus::kQueued, {}});
  for (size_t t = 0; t < workflow_.tasks.size(); ++t) {
    WorkflowRunTask task;
    task.group = workflow_.tasks[t].spec.group;
    task.name = workflow_.tasks[t].spec.name;
    for (size_t dep : workflow_.tasks[t].depends_on) task.depends_on.push_back(workflow_.QualifiedName(dep));
    run_.tasks.push_back(std::move(task));
  }
}

WorkflowRunResult WorkflowExecution::Run() {
  Lock lock(mutex_);
  started_ = std::chrono::steady_clock::now();
  run_.start_time = std::chrono::system_clock::now();
  Log(LogLevel::kInfo,
      fmt::format("workflow {} run {} started: {} task{} in {} group{}", workflow_.name, id_, workflow_.tasks.size(),
                  workflow_.tasks.size() == 1 ? "" : "s", workflow_.groups.size(),
                  workflow_.groups.size() == 1 ? "" : "s"),
      message_id::kWorkflowStarted, {{"SLOTH_STATUS", "running"}});
  Queue(SnapshotLocked(true));
  Apply(scheduler_.Start(), std::nullopt, /*caller_follows=*/true, lock);
  Follow(lock, /*caller=*/true);
  // Every task has its status; the pool's threads leave and the last events go out.
  finishing_ = true;
  changed_.wait(lock, [&] { return followers_ == 0 && !emitting_ && outbox_.empty(); });
  run_.status = scheduler_.run_status();
  run_.end_time = std::chrono::system_clock::now();
  run_.duration = std::chrono::steady_clock::now() - started_;
  if (cancelled_) {
    run_.reason = "cancelled: " + cancel_reason_;
  } else if (run_.status != TaskStatus::kSuccess) {
    run_.reason = FailureSummary(run_);
  }
  WorkflowRunResult result = SnapshotLocked(true);
  Log(LogLevel::kInfo,
      fmt::format("workflow {} run {} finished: {}{} in {} ({} succeeded, {} failed, {} skipped)", workflow_.name, id_,
                  TaskStatusName(result.status), result.reason.empty() ? "" : " (" + result.reason + ")",
                  FormatDuration(std::chrono::duration_cast<std::chrono::milliseconds>(result.duration)),
                  result.counts.success, result.counts.failed, result.counts.skipped),
      message_id::kWorkflowFinished, {{"SLOTH_STATUS", std::string(TaskStatusName(result.status))}});
  return result;
}

void WorkflowExecution::Follow(Lock& lock, bool caller) {
  for (;;) {
    EmitQueued(lock);
    if (!ready_.empty()) {
      const size_t task = ready_.front();
      ready_.pop_front();
      Attempt(task, lock);
      continue;
    }
    if (!caller) {
      --followers_;
      if (finishing_) changed_.notify_all();
      return;
    }
    if (scheduler_.finished()) return;
    if (!retries_.empty() && retries_.begin()->first <= std::chrono::steady_clock::now()) {
      const size_t task = retries_.begin()->second;
      retries_.erase(retries_.begin());
      Apply(scheduler_.RetryDue(task), task, /*caller_follows=*/true, lock);
      continue;
    }
    caller_waiting_ = true;
    if (retries_.empty()) {
      changed_.wait(lock);
    } else {
      changed_.wait_until(lock, retries_.begin()->first);
    }
    caller_waiting_ = false;
  }
}

void WorkflowExecution::Attempt(size_t task, Lock& lock) {
  if (cancelled_) {  // decided before the cancel, taken after it
    Apply(scheduler_.StartWithdrawn(task), task, /*caller_follows=*/true, lock);
    return;
  }
  TaskSpec spec = workflow_.tasks[task].spec;
  spec.workflow = workflow_.name;
  spec.run_id = id_;
  lock.unlock();
  const std::string name = spec.name, group = spec.group;
  auto begun = parts_.runner.Begin(std::move(spec));
  TaskResult result;
  if (!begun) {
    // Refused at admission (queue full, shutting down): no task ran, so no id; the attempt failed
    // with the reason, and retries or the dependants' skips follow as for any failure.
    result.name = name;
    result.group = group;
    result.workflow = workflow_.name;
    result.run_id = id_;
    result.status = TaskStatus::kFailed;
    result.reason = "refused: " + begun.error().reason;
    result.start_time = result.end_time = std::chrono::system_clock::now();
  } else {
    const std::string task_id = begun->id();
    lock.lock();
    begun_[task] = task_id;
    run_.tasks[task].last = TaskResult{};
    run_.tasks[task].last.id = task_id;
    run_.tasks[task].last.start_time = std::chrono::system_clock::now();  // admitted; the result has the spawn's
    const bool stop_now = cancelled_ && stop_running_;
    lock.unlock();
    if (stop_now) parts_.runner.Cancel(task_id);
    TaskNotice notice{std::chrono::steady_clock::now() + kRunningEventDelay, [this, task] {
                        Lock l(mutex_);
                        if (run_.tasks[task].status == TaskStatus::kRunning) QueueTask(task);
                        EmitQueued(l);
                      }};
    result = parts_.runner.Complete(std::move(begun).value(), {}, std::move(notice));
  }
  lock.lock();
  begun_.erase(task);
  const auto outcome = result.status == TaskStatus::kSuccess ? WorkflowScheduler::Attempt::kSucceeded
                       : result.cancelled                    ? WorkflowScheduler::Attempt::kCancelled
                                                             : WorkflowScheduler::Attempt::kFailed;
  if (result.status == TaskStatus::kSuccess) result.kept_output.clear();  // only a failure's is kept
  run_.tasks[task].last = std::move(result);
  Apply(scheduler_.AttemptFinished(task, outcome), task, /*caller_follows=*/true, lock);
}

void WorkflowExecution::Apply(const WorkflowScheduler::Decisions& decisions, std::optional<size_t> subject,
                              bool caller_follows, Lock& lock) {
  (void)lock;  // held
  const auto now = std::chrono::steady_clock::now();
  if (subject && IsFinal(scheduler_.status(*subject)) && !IsFinal(run_.tasks[*subject].status)) Finish(*subject, lock);
  for (size_t task : decisions.retry) {
    WorkflowRunTask& state = run_.tasks[task];
    const Duration delay = workflow_.tasks[task].retry_delay;
    retries_.emplace(now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay), task);
    state.reason = fmt::format("attempt {} failed ({}); attempt {} in {}", state.attempts, state.last.reason,
                               state.attempts + 1, FormatDuration(delay));
    QueueTask(task);
  }
  if (!decisions.retry.empty() && caller_waiting_) changed_.notify_all();  // a new deadline to wait for
  for (size_t task : decisions.start) {
    WorkflowRunTask& state = run_.tasks[task];
    state.status = TaskStatus::kRunning;
    state.attempts = scheduler_.attempts(task);
    const size_t group = workflow_.group_of[task];
    if (!group_started_[group]) {
      group_started_[group] = now;
      run_.groups[group].status = TaskStatus::kRunning;
      Queue(WorkflowGroupChange{id_, group, run_.groups[group]});
    }
    ready_.push_back(task);
  }
  for (const auto& [task, reason] : decisions.skipped) Skipped(task, reason);
  for (size_t group : decisions.groups_finished) GroupFinished(group);
  // Threads for what may start: this one (if it goes on following), the caller of Run if it
  // waits, then the pool's.
  size_t takers = caller_follows ? 1 : 0;
  if (caller_waiting_ && !ready_.empty()) {
    caller_waiting_ = false;
    ++takers;
    changed_.notify_all();
  }
  if (ready_.size() > takers) StartFollowers(ready_.size() - takers);
  if (decisions.finished) changed_.notify_all();
}

void WorkflowExecution::Finish(size_t task, Lock&) {
  WorkflowRunTask& state = run_.tasks[task];
  state.status = scheduler_.status(task);
  state.attempts = scheduler_.attempts(task);
  state.reason.clear();
  if (state.status == TaskStatus::kFailed) {
    state.reason = state.last.reason;
    // Its last attempt failed with retries left, and the run was cancelled meanwhile.
    if (cancelled_ && !state.last.cancelled && state.attempts <= workflow_.tasks[task].retries) {
      state.reason += "; not retried: cancelled: " + cancel_reason_;
    }
  }
  QueueTask(task);
}

void WorkflowExecution::Skipped(size_t task, const std::string& reason) {
  WorkflowRunTask& state = run_.tasks[task];
  state.status = TaskStatus::kSkipped;
  state.attempts = scheduler_.attempts(task);
  state.reason = reason;
  parts_.telemetry.TaskFinished(state.group, state.name, "skipped", 0, false);
  Log(LogLevel::kInfo, fmt::format("task {}.{} skipped: {}", state.group, state.name, reason), message_id::kTaskSkipped,
      {{"SLOTH_TASK", state.name}, {"SLOTH_GROUP", state.group}, {"SLOTH_STATUS", "skipped"}});
  QueueTask(task);
}

void WorkflowExecution::GroupFinished(size_t group) {
  WorkflowRunGroup& state = run_.groups[group];
  state.status = scheduler_.group_status(group);
  state.duration = group_started_[group] ? std::chrono::steady_clock::now() - *group_started_[group] : Duration{};
  const std::string status(TaskStatusName(state.status));
  parts_.telemetry.GroupFinished(state.name, status, Seconds(state.duration));
  Log(LogLevel::kInfo,
      fmt::format("workflow {} run {}: group {} finished: {} in {}", workflow_.name, id_, state.name, status,
                  FormatDuration(std::chrono::duration_cast<std::chrono::milliseconds>(state.duration))),
      message_id::kWorkflowGroupFinished, {{"SLOTH_GROUP", state.name}, {"SLOTH_STATUS", status}});
  Queue(WorkflowGroupChange{id_, group, state});
}

void WorkflowExecution::StartFollowers(size_t count) {
  for (size_t i = 0; i < count; ++i) {
    ++followers_;
    auto submitted = parts_.followers.Submit([self = shared_from_this()] {
      Lock lock(self->mutex_);
      self->Follow(lock, /*caller=*/false);
    });
    if (!submitted) {  // no thread: the tasks wait for one that is following already
      --followers_;
      parts_.log.Warning(
          fmt::format("workflow run {}: no thread for a task beside the others: {}", id_, submitted.error().message));
      return;
    }
  }
}

bool WorkflowExecution::Cancel(const std::string& reason, bool stop_running) {
  std::vector<std::string> to_stop;
  {
    Lock lock(mutex_);
    if (cancelled_ || scheduler_.finished()) return false;
    cancelled_ = true;
    stop_running_ = stop_running;
    cancel_reason_ = reason;
    run_.cancelled = true;
    Log(LogLevel::kInfo, fmt::format("workflow {} run {} cancelled: {}", workflow_.name, id_, reason), {}, {});
    Apply(scheduler_.Cancel(reason), std::nullopt, /*caller_follows=*/false, lock);
    while (!ready_.empty()) {
      const size_t task = ready_.front();
      ready_.pop_front();
      Apply(scheduler_.StartWithdrawn(task), task, /*caller_follows=*/false, lock);
    }
    const auto waiting = std::exchange(retries_, {});
    for (const auto& [due, task] : waiting) Apply(scheduler_.RetryDue(task), task, /*caller_follows=*/false, lock);
    if (stop_running) {
      for (const auto& [task, task_id] : begun_) to_stop.push_back(task_id);
    }
    changed_.notify_all();
    EmitQueued(lock);
  }
  for (const std::string& task_id : to_stop) parts_.runner.Cancel(task_id);
  return true;
}

WorkflowRunResult WorkflowExecution::Snapshot(bool with_tasks) const {
  Lock lock(mutex_);
  return SnapshotLocked(with_tasks);
}

WorkflowRunResult WorkflowExecution::SnapshotLocked(bool with_tasks) const {
  WorkflowRunResult out;
  out.id = run_.id;
  out.workflow = run_.workflow;
  out.source = run_.source;
  out.status = run_.status;
  out.cancelled = run_.cancelled;
  out.reason = run_.reason;
  out.start_time = run_.start_time;
  out.end_time = run_.end_time;
  out.duration = run_.status == TaskStatus::kRunning && run_.start_time != std::chrono::system_clock::time_point{}
                     ? std::chrono::steady_clock::now() - started_
                     : run_.duration;
  out.groups = run_.groups;
  for (const WorkflowRunTask& task : run_.tasks) {
    switch (task.status) {
      case TaskStatus::kQueued: ++out.counts.queued; break;
      case TaskStatus::kRunning: ++out.counts.running; break;
      case TaskStatus::kSuccess: ++out.counts.success; break;
      case TaskStatus::kFailed: ++out.counts.failed; break;
      case TaskStatus::kSkipped: ++out.counts.skipped; break;
    }
  }
  if (with_tasks) out.tasks = run_.tasks;
  return out;
}

void WorkflowExecution::EmitQueued(Lock& lock) {
  if (emitting_) return;  // the thread emitting now takes these too, in order
  emitting_ = true;
  while (!outbox_.empty()) {
    std::vector<WorkflowEvent> batch;
    batch.swap(outbox_);
    lock.unlock();
    if (on_event_) {
      for (const WorkflowEvent& event : batch) on_event_(event);
    }
    lock.lock();
  }
  emitting_ = false;
  if (finishing_) changed_.notify_all();
}

void WorkflowExecution::Log(LogLevel level, const std::string& message, std::string_view message_id,
                            std::vector<LogField> fields) const {
  if (!parts_.log.Enabled(level)) return;
  fields.push_back({"SLOTH_WORKFLOW", workflow_.name});
  fields.push_back({"SLOTH_RUN_ID", id_});
  parts_.log.Log(level, message, fields, message_id);
}

}  // namespace sloth
