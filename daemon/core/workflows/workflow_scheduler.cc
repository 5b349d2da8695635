#include "daemon/core/workflows/workflow_scheduler.h"

#include <algorithm>

#include <fmt/format.h>

namespace sloth {

WorkflowScheduler::WorkflowScheduler(const Workflow& workflow, uint32_t max_parallel)
    : workflow_(workflow),
      max_parallel_(std::max<uint32_t>(max_parallel, 1)),
      tasks_(workflow.tasks.size()),
      groups_(workflow.groups.size()),
      dependants_(workflow.tasks.size()),
      group_dependants_(workflow.groups.size()),
      unfinished_(workflow.tasks.size()) {
  for (size_t g = 0; g < workflow.groups.size(); ++g) {
    const WorkflowGroup& group = workflow.groups[g];
    groups_[g].limit = std::min(group.parallel.value_or(max_parallel_), max_parallel_);
    groups_[g].unfinished = group.tasks.size();
    for (size_t dep : group.depends_on) group_dependants_[dep].push_back(g);
  }
  for (size_t t = 0; t < workflow.tasks.size(); ++t) {
    for (size_t dep : workflow.tasks[t].depends_on) dependants_[dep].push_back(t);
    tasks_[t].waiting_for =
        workflow.tasks[t].depends_on.size() + workflow.groups[workflow.group_of[t]].depends_on.size();
  }
}

WorkflowScheduler::Decisions WorkflowScheduler::Start() {
  Decisions out;
  for (size_t t = 0; t < tasks_.size(); ++t) {
    if (tasks_[t].waiting_for == 0) {
      ++tasks_[t].waiting_for;  // DependencySatisfied counts it down
      DependencySatisfied(t, out);
    }
  }
  Propagate(out);
  FillSlots(out);
  out.finished = finished();
  return out;
}

void WorkflowScheduler::DependencySatisfied(size_t task, Decisions& out) {
  TaskState& state = tasks_[task];
  if (state.status != TaskStatus::kQueued || --state.waiting_for > 0) return;
  if (workflow_.tasks[task].condition_holds) {
    groups_[workflow_.group_of[task]].ready.push(task);
    return;
  }
  state.status = TaskStatus::kSkipped;
  state.by_condition = true;
  state.reason = fmt::format("when: {} is false", workflow_.tasks[task].when);
  out.skipped.emplace_back(task, state.reason);
  satisfied_queue_.push_back(task);
  Terminal(task);
}

void WorkflowScheduler::Block(size_t task, std::string reason, std::string root_cause) {
  block_queue_.push_back({task, std::move(reason), std::move(root_cause)});
}

void WorkflowScheduler::Terminal(size_t task) {
  --unfinished_;
  const size_t g = workflow_.group_of[task];
  GroupState& group = groups_[g];
  const TaskState& state = tasks_[task];
  if (state.status == TaskStatus::kFailed) group.any_failed = true;
  if (state.status == TaskStatus::kSkipped && !state.by_condition) group.any_blocked = true;
  if (group.root_cause.empty()) group.root_cause = state.root_cause;
  if (--group.unfinished == 0) finished_groups_queue_.push_back(g);
}

void WorkflowScheduler::GroupFinished(size_t g, Decisions& out) {
  GroupState& group = groups_[g];
  if (group.any_failed || (group.any_blocked && group.any_ran)) {
    group.status = TaskStatus::kFailed;
  } else {
    group.status = group.any_ran ? TaskStatus::kSuccess : TaskStatus::kSkipped;
  }
  out.groups_finished.push_back(g);
  const bool satisfied = !group.any_failed && !group.any_blocked;
  const std::string& name = workflow_.groups[g].name;
  for (size_t dependant : group_dependants_[g]) {
    for (size_t t : workflow_.groups[dependant].tasks) {
      if (satisfied) {
        DependencySatisfied(t, out);
      } else {
        Block(t,
              fmt::format("dependency group {} {} ({})", name,
                          group.status == TaskStatus::kFailed ? "failed" : "was skipped", group.root_cause),
              group.root_cause);
      }
    }
  }
}

void WorkflowScheduler::Propagate(Decisions& out) {
  while (!satisfied_queue_.empty() || !block_queue_.empty() || !finished_groups_queue_.empty()) {
    if (!finished_groups_queue_.empty()) {
      const size_t group = finished_groups_queue_.front();
      finished_groups_queue_.pop_front();
      GroupFinished(group, out);
      continue;
    }
    if (!satisfied_queue_.empty()) {
      const size_t task = satisfied_queue_.back();
      satisfied_queue_.pop_back();
      for (size_t dependant : dependants_[task]) DependencySatisfied(dependant, out);
      continue;
    }
    BlockItem item = std::move(block_queue_.back());
    block_queue_.pop_back();
    TaskState& state = tasks_[item.task];
    if (state.status != TaskStatus::kQueued) continue;
    state.status = TaskStatus::kSkipped;
    state.reason = std::move(item.reason);
    state.root_cause = std::move(item.root_cause);
    ++unsatisfied_;
    out.skipped.emplace_back(item.task, state.reason);
    const std::string name = workflow_.QualifiedName(item.task);
    for (size_t dependant : dependants_[item.task]) {
      Block(dependant, fmt::format("dependency {} was skipped ({})", name, state.root_cause), state.root_cause);
    }
    Terminal(item.task);
  }
}

void WorkflowScheduler::FillSlots(Decisions& out) {
  while (!cancelled_ && running_ < max_parallel_) {
    GroupState* best = nullptr;
    for (GroupState& group : groups_) {
      if (group.ready.empty() || group.running >= group.limit) continue;
      if (best == nullptr || group.ready.top() < best->ready.top()) best = &group;
    }
    if (best == nullptr) return;
    const size_t task = best->ready.top();
    best->ready.pop();
    tasks_[task].status = TaskStatus::kRunning;
    tasks_[task].attempts = 1;
    ++running_;
    ++best->running;
    best->any_ran = true;
    if (best->status == TaskStatus::kQueued) best->status = TaskStatus::kRunning;
    out.start.push_back(task);
  }
}

void WorkflowScheduler::FinishAttempts(size_t task, bool succeeded, Decisions& out) {
  TaskState& state = tasks_[task];
  --running_;
  --groups_[workflow_.group_of[task]].running;
  if (succeeded) {
    state.status = TaskStatus::kSuccess;
    satisfied_queue_.push_back(task);
  } else {
    state.status = TaskStatus::kFailed;
    ++unsatisfied_;
    const std::string name = workflow_.QualifiedName(task);
    state.root_cause = name + " failed";
    for (size_t dependant : dependants_[task]) Block(dependant, "dependency " + state.root_cause, state.root_cause);
  }
  Terminal(task);
  Propagate(out);
  FillSlots(out);
  out.finished = finished();
}

WorkflowScheduler::Decisions WorkflowScheduler::AttemptFinished(size_t task, Attempt outcome) {
  Decisions out;
  if (tasks_[task].status != TaskStatus::kRunning) return out;
  if (outcome == Attempt::kFailed && !cancelled_ && tasks_[task].attempts <= workflow_.tasks[task].retries) {
    out.retry.push_back(task);  // keeps its slot while it waits
    return out;
  }
  FinishAttempts(task, outcome == Attempt::kSucceeded, out);
  return out;
}

WorkflowScheduler::Decisions WorkflowScheduler::RetryDue(size_t task) {
  Decisions out;
  if (tasks_[task].status != TaskStatus::kRunning) return out;
  if (cancelled_) {
    FinishAttempts(task, false, out);
    return out;
  }
  ++tasks_[task].attempts;
  out.start.push_back(task);
  return out;
}

WorkflowScheduler::Decisions WorkflowScheduler::StartWithdrawn(size_t task) {
  Decisions out;
  TaskState& state = tasks_[task];
  if (state.status != TaskStatus::kRunning) return out;
  if (state.attempts > 1) {
    FinishAttempts(task, false, out);
    return out;
  }
  --running_;
  --groups_[workflow_.group_of[task]].running;
  state.status = TaskStatus::kQueued;  // as if never started: Block skips it
  Block(task, "cancelled: " + cancel_reason_, "cancelled: " + cancel_reason_);
  Propagate(out);
  FillSlots(out);
  out.finished = finished();
  return out;
}

WorkflowScheduler::Decisions WorkflowScheduler::Cancel(const std::string& reason) {
  Decisions out;
  if (cancelled_ || finished()) return out;
  cancelled_ = true;
  cancel_reason_ = reason;
  const std::string why = "cancelled: " + reason;
  for (size_t t = 0; t < tasks_.size(); ++t) {
    if (tasks_[t].status == TaskStatus::kQueued) Block(t, why, why);
  }
  std::reverse(block_queue_.begin(), block_queue_.end());  // reported in file order
  for (GroupState& group : groups_) group.ready = {};
  Propagate(out);
  out.finished = finished();
  return out;
}

}  // namespace sloth
