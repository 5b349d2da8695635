#include "daemon/core/tasks/task_runner.h"

#include <fmt/format.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>
#include <utility>

#include "common/message_ids.h"
#include "common/unique_fd.h"
#include "daemon/core/tasks/process_starter.h"
#include "daemon/core/tasks/unit_starter.h"

namespace sloth {

std::string_view TaskStatusName(TaskStatus status) {
  switch (status) {
    case TaskStatus::kQueued: return "queued";
    case TaskStatus::kRunning: return "running";
    case TaskStatus::kSuccess: return "success";
    case TaskStatus::kFailed: return "failed";
    case TaskStatus::kSkipped: return "skipped";
  }
  return "unknown";
}

// Shared between the thread that runs the task and Cancel/List callers; fields other than
// `spec` are guarded by TaskRunner::mutex_.
struct TaskRunner::Started::Active {
  TaskSpec spec;  // read-only after Admit
  std::string id;
  std::string user;   // resolved at admission; read-only after
  std::string unit;   // unit mode: its unit's name; read-only after Admit
  TaskLimits limits;  // the effective limits; read-only after Admit
  TaskStatus status = TaskStatus::kQueued;
  bool cancel_requested = false;
  std::string cancel_reason;
  std::chrono::system_clock::time_point start_time;
  std::chrono::steady_clock::time_point steady_start;
  int cancel_fd = -1;  // the following thread's eventfd while it supervises (wakes its poll())
  // Its follower waits on this while the task is queued; notified (under the runner's mutex) when
  // the task comes to the front with a slot free, or is cancelled. One per task, not one for all:
  // with 10,000 tasks queued, waking every follower at each change made the runner's mutex the
  // bottleneck (33 tasks/s, doc/RELIABILITY.md).
  std::condition_variable wake;
};

Result<TaskSpec> CheckedTaskSpec(TaskSpec spec) {
  if (spec.command.empty()) return Failure{"command is empty: pass the shell command to run"};
  if (spec.command.find('\0') != std::string::npos) return Failure{"the command contains a NUL byte"};
  for (const auto& [name, value] : spec.env) {
    if (name.empty() || name.find('=') != std::string::npos || name.find('\0') != std::string::npos) {
      return Failure{fmt::format("bad environment variable name \"{}\"", name)};
    }
    if (value.find('\0') != std::string::npos) {
      return Failure{fmt::format("environment variable {} contains a NUL byte", name)};
    }
  }
  if (spec.name.empty()) spec.name = "adhoc";
  if (spec.group.empty()) spec.group = "adhoc";
  return spec;
}

std::optional<Duration> TimeoutFromMillis(uint64_t ms) {
  constexpr uint64_t kMaxMs = 1'000'000'000'000;  // about 31 years
  if (ms == 0) return std::nullopt;
  return std::chrono::milliseconds(std::min(ms, kMaxMs));
}

namespace {

TaskRunner::Options Normalised(TaskRunner::Options options) {
  options.max_concurrent = std::max<uint32_t>(options.max_concurrent, 1);
  return options;
}

std::string ErrnoText(int error) { return std::generic_category().message(error); }

// The starter a runner without Options::starter uses.
std::unique_ptr<TaskStarter> DefaultStarter(const TaskRunner::Options& options) {
  if (options.starter != nullptr) return nullptr;
  return std::make_unique<ProcessStarter>(CurrentUserName());
}

// The eventfd that wakes this thread's supervising poll() on a cancel: one per thread that
// follows tasks, reused task after task (one per task cost an eventfd2 and a close each).
// -1 (errno set) if it cannot be created.
int ThreadCancelFd() {
  thread_local UniqueFd fd;
  if (!fd) fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  return fd.get();
}

void WakeCancelFd(int fd) {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(fd, &one, sizeof one);
}

// Takes back every wake (the eventfd is non-blocking: nothing to take is fine).
void DrainCancelFd(int fd) {
  uint64_t count;
  [[maybe_unused]] const ssize_t n = ::read(fd, &count, sizeof count);
}

using SteadyTime = std::chrono::steady_clock::time_point;

SteadyTime SaturatingAdd(SteadyTime t, Duration d) {
  if (d <= Duration::zero()) return t;
  if (d >= SteadyTime::max() - t) return SteadyTime::max();
  return t + std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
}

// A timeout <= 0 means none.
SteadyTime TaskDeadline(SteadyTime start, Duration timeout) {
  return timeout <= Duration::zero() ? SteadyTime::max() : SaturatingAdd(start, timeout);
}

// A task's identity in a result: id, names, command, and its workflow run if any.
TaskResult Described(const std::string& id, const TaskSpec& spec) {
  TaskResult r;
  r.id = id;
  r.name = spec.name;
  r.group = spec.group;
  r.command = spec.command;
  r.workflow = spec.workflow;
  r.run_id = spec.run_id;
  return r;
}

// SLOTH_TASK, SLOTH_GROUP, SLOTH_TASK_ID, SLOTH_STATUS, a workflow task's SLOTH_WORKFLOW and
// SLOTH_RUN_ID, then `extra` (when it has a key).
std::vector<LogField> LogFields(const TaskResult& task, std::string status, LogField extra) {
  std::vector<LogField> fields = {{"SLOTH_TASK", task.name},
                                  {"SLOTH_GROUP", task.group},
                                  {"SLOTH_TASK_ID", task.id},
                                  {"SLOTH_STATUS", std::move(status)}};
  if (!task.run_id.empty()) {
    fields.push_back({"SLOTH_WORKFLOW", task.workflow});
    fields.push_back({"SLOTH_RUN_ID", task.run_id});
  }
  if (!extra.key.empty()) fields.push_back(std::move(extra));
  return fields;
}

}  // namespace

TaskRunner::TaskRunner(Options options, Telemetry& telemetry, Logger& logger)
    : options_(Normalised(std::move(options))),
      own_starter_(DefaultStarter(options_)),
      starter_(own_starter_ ? *own_starter_ : *options_.starter),
      telemetry_(telemetry),
      logger_(logger),
      random_(std::random_device{}()) {
  if (!options_.state_dir.empty()) Recover();
}

void TaskRunner::Recover() {
  journal_ = std::make_unique<TaskJournal>(options_.state_dir, options_.history_size, logger_);
  {
    std::lock_guard lock(mutex_);
    sequence_ = journal_->last_sequence();
    for (const TaskResult& r : journal_->finished()) history_.push_front(r);
  }
  for (const UnfinishedTask& left : journal_->unfinished()) {
    const bool stopped = starter_.StopLeftover(left.task.id, left.record);
    TaskResult result = left.task;
    result.status = TaskStatus::kFailed;
    result.reason = fmt::format(
        "slothd stopped unexpectedly (crash or kill -9) while the task ran; {}",
        stopped ? "its processes were killed at restart" : "none of its processes was still running at restart");
    result.end_time = std::chrono::system_clock::now();
    result.duration = std::max(Duration::zero(), Duration(result.end_time - result.start_time));  // until known
    telemetry_.TaskFailedWithoutDuration(result.group);  // its end is unknown: no duration sample
    logger_.Log(LogLevel::kWarning, fmt::format("task {} finished: failed ({})", result.id, result.reason),
                LogFields(result, "failed", {}), message_id::kTaskFinished);
    {
      std::lock_guard lock(mutex_);
      history_.push_front(result);
      if (history_.size() > options_.history_size) history_.pop_back();
    }
    journal_->Finished(result);
  }
}

TaskRunner::~TaskRunner() {
  Shutdown(Duration::zero());
  std::unique_lock lock(mutex_);
  // Run() callers on other threads and our workers must be out before the members go.
  changed_.wait(lock, [this] { return in_flight_ == 0; });
  lock.unlock();
  workers_.Drain();
}

std::string TaskRunner::NextIdLocked() { return fmt::format("t-{:06}-{:04x}", ++sequence_, random_() & 0xffffu); }

TaskResult TaskRunner::SnapshotLocked(const Active& task) const {
  TaskResult r = Described(task.id, task.spec);
  r.status = task.status;
  r.user = task.user;
  r.unit = task.unit;
  // Admitted to a slot but not spawned yet (between Begin and Complete): no times yet.
  if (task.status == TaskStatus::kRunning && task.steady_start != std::chrono::steady_clock::time_point{}) {
    r.start_time = task.start_time;
    r.duration = std::chrono::steady_clock::now() - task.steady_start;
  }
  return r;
}

void TaskRunner::Notify(const TaskResult& snapshot) const {
  if (options_.on_change) options_.on_change(snapshot);
}

void TaskRunner::WakeQueueFrontLocked() {
  if (!queue_.empty() && running_ < options_.max_concurrent) queue_.front()->wake.notify_one();
}

void TaskRunner::RequestCancelLocked(Active& task, std::string reason) {
  if (task.cancel_requested) return;
  task.cancel_requested = true;
  task.cancel_reason = std::move(reason);
  task.wake.notify_one();  // queued: its follower finishes it
  // Wakes the supervising thread; it does the signalling, so only it ever touches the pid. Not
  // supervised yet: it sees the flag when it registers its eventfd.
  if (task.cancel_fd >= 0) WakeCancelFd(task.cancel_fd);
}

Result<TaskRunner::ActivePtr, TaskRefusal> TaskRunner::Admit(TaskSpec spec) {
  auto task = std::make_shared<Active>();
  task->spec = std::move(spec);
  if (auto checked = CheckedTaskSpec(task->spec); !checked) {
    return Refuse(task->spec, {RefusalKind::kInvalid, "invalid task: " + checked.error().message});
  }
  if (std::string refused = AdmitUser(*task); !refused.empty()) {
    return Refuse(task->spec, {RefusalKind::kUserNotAllowed, std::move(refused)});
  }
  task->limits = EffectiveLimits(options_.default_limits, task->spec.limits);
  TaskResult snapshot;
  std::optional<TaskRefusal> refusal;
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) {
      refusal = TaskRefusal{RefusalKind::kStopping, "shutting down"};
    } else if (running_ < options_.max_concurrent && queue_.empty()) {
      task->status = TaskStatus::kRunning;
      ++running_;
    } else if (queue_.size() >= options_.max_queued) {
      refusal = TaskRefusal{
          RefusalKind::kQueueFull,
          fmt::format("queue full: {} tasks running (max_concurrent), {} waiting (max_queued); try again later",
                      running_, queue_.size())};
    } else {
      queue_.push_back(task);
    }
    if (!refusal) {
      task->id = NextIdLocked();
      if (starter_.mode() == "unit") task->unit = TaskUnitName(task->id);
      active_.emplace(task->id, task);
      snapshot = SnapshotLocked(*task);
    }
  }
  if (refusal) return Refuse(task->spec, std::move(*refusal));  // counted and logged outside the lock
  // Only queued tasks report here; running ones report once Execute marks them started.
  if (snapshot.status == TaskStatus::kQueued) Notify(snapshot);
  return task;
}

TaskRefusal TaskRunner::Refuse(const TaskSpec& spec, TaskRefusal refusal) {
  telemetry_.ErrorOccurred("task_refused");
  if (logger_.Enabled(LogLevel::kInfo)) {
    logger_.Log(
        LogLevel::kInfo, fmt::format("task {}/{} refused: {}", spec.group, spec.name, refusal.reason),
        std::vector<LogField>{{"SLOTH_TASK", spec.name}, {"SLOTH_GROUP", spec.group}, {"SLOTH_STATUS", "refused"}},
        message_id::kTaskRefused);
  }
  return refusal;
}

std::string TaskRunner::AdmitUser(Active& task) const {
  const std::string& requested = task.spec.user;
  const auto& allowed = options_.allowed_users;
  if (!requested.empty() && requested != options_.default_user &&
      std::find(allowed.begin(), allowed.end(), requested) == allowed.end()) {
    return fmt::format(
        "user \"{}\" is not allowed: tasks run as \"{}\" ([tasks] user) or as one of [tasks] allowed_users ({})",
        requested, options_.default_user,
        allowed.empty() ? "none listed" : fmt::format("{}", fmt::join(allowed, ", ")));
  }
  auto user = starter_.TaskUser(requested, options_.default_user);
  if (!user) return user.error().message;
  task.user = std::move(user).value();
  return {};
}

void TaskRunner::EnterInFlight() {
  std::lock_guard lock(mutex_);
  ++in_flight_;
}

void TaskRunner::LeaveInFlight() {
  std::lock_guard lock(mutex_);
  --in_flight_;
  changed_.notify_all();  // under the lock: the destructor may be waiting for this
}

TaskRunner::Started::Started(TaskRunner* runner, std::shared_ptr<Active> task)
    : runner_(runner), task_(std::move(task)) {}

TaskRunner::Started::Started(Started&& other) noexcept : runner_(other.runner_), task_(std::move(other.task_)) {}

TaskRunner::Started& TaskRunner::Started::operator=(Started&& other) noexcept {
  if (this != &other) {
    Abandon();
    runner_ = other.runner_;
    task_ = std::move(other.task_);
  }
  return *this;
}

TaskRunner::Started::~Started() { Abandon(); }

const std::string& TaskRunner::Started::id() const { return task_->id; }

void TaskRunner::Started::Abandon(std::string reason) {
  if (!task_) return;
  ActivePtr task = std::move(task_);
  runner_->CancelAndFinish(task, std::move(reason));
  runner_->LeaveInFlight();
}

Result<TaskRunner::Started, TaskRefusal> TaskRunner::Begin(TaskSpec spec) {
  EnterInFlight();
  auto admitted = Admit(std::move(spec));
  if (!admitted) {
    LeaveInFlight();
    return admitted.error();
  }
  return Started(this, std::move(*admitted));
}

TaskResult TaskRunner::Complete(Started started, const OutputSink& on_output, TaskNotice notice) {
  ActivePtr task = std::move(started.task_);
  LeaveInFlightAtExit leave{this};
  return Execute(task, on_output, std::move(notice));
}

Result<std::string, TaskRefusal> TaskRunner::Start(TaskSpec spec) {
  auto begun = Begin(std::move(spec));
  if (!begun) return begun.error();
  std::string id = begun->id();
  auto started = std::make_shared<Started>(std::move(*begun));
  if (auto submitted = workers_.Submit([this, started] { Complete(std::move(*started), {}); }); !submitted) {
    // No thread to run it: finished as cancelled on this thread (it was not spawned).
    started->Abandon(fmt::format("cancelled: no worker thread ({})", submitted.error().message));
  }
  return id;
}

void TaskRunner::CancelAndFinish(const ActivePtr& task, std::string reason) {
  {
    std::lock_guard lock(mutex_);
    RequestCancelLocked(*task, std::move(reason));
  }
  Execute(task, {});
}

std::unique_ptr<RunningTask> TaskRunner::Launch(const ActivePtr& task, std::string* spawn_error) {
  const TaskSpec& spec = task->spec;
  TaskResult snapshot;
  telemetry_.TaskStarted();  // first: whoever sees the task started (its start time) sees the gauge too
  {
    std::lock_guard lock(mutex_);
    task->start_time = std::chrono::system_clock::now();
    task->steady_start = std::chrono::steady_clock::now();
    snapshot = SnapshotLocked(*task);
  }
  if (logger_.Enabled(LogLevel::kInfo)) {  // not even formatted below the log level
    auto fields = LogFields(Described(task->id, spec), "running", {});
    if (!spec.caller.empty()) fields.push_back({"SLOTH_CALLER", spec.caller});
    logger_.Log(LogLevel::kInfo, fmt::format("task {} started", task->id), fields, message_id::kTaskStarted);
  }
  Notify(snapshot);
  if (ThreadCancelFd() < 0) {  // a task we could not cancel is not started
    *spawn_error = ErrnoText(errno);
    return nullptr;
  }
  const std::string& workdir = spec.workdir.empty() ? options_.default_workdir : spec.workdir;
  // The configuration's variables, then the request's: the request wins.
  EnvOverrides env = options_.environment;
  env.insert(env.end(), spec.env.begin(), spec.env.end());
  const LaunchRequest request{
      task->id,           spec, task->user, workdir, env, task->limits, spec.timeout.value_or(options_.default_timeout),
      options_.kill_grace};
  auto started = starter_.Start(request);
  if (!started) {
    *spawn_error = started.error().message;
    return nullptr;
  }
  if (journal_) {
    RunningTaskRecord record = (*started)->Record();
    record.unit = task->unit;
    snapshot.start_time = task->start_time;
    journal_->Started(snapshot, record);
  }
  return std::move(started).value();
}

TaskResult TaskRunner::Execute(const ActivePtr& task, const OutputSink& on_output, TaskNotice notice) {
  const TaskSpec& spec = task->spec;
  TaskResult result = Described(task->id, spec);
  result.user = task->user;
  result.unit = task->unit;
  {
    std::unique_lock lock(mutex_);
    const auto may_go = [&] {
      return task->cancel_requested || task->status == TaskStatus::kRunning ||
             (queue_.front() == task && running_ < options_.max_concurrent);
    };
    // Queued past the notice's time: it is made here, unlocked, and not again while it runs.
    if (notice.call && !task->wake.wait_until(lock, notice.at, may_go)) {
      lock.unlock();
      std::exchange(notice.call, nullptr)();
      lock.lock();
    }
    task->wake.wait(lock, may_go);
    if (task->status == TaskStatus::kQueued && !task->cancel_requested) {
      queue_.pop_front();
      task->status = TaskStatus::kRunning;
      ++running_;
      WakeQueueFrontLocked();  // another slot may be free too
    }
    if (task->cancel_requested) {
      std::erase(queue_, task);
      WakeQueueFrontLocked();
      lock.unlock();
      changed_.notify_all();  // the next in the queue may now be at the front
      result.status = TaskStatus::kFailed;
      result.cancelled = true;
      result.reason = task->cancel_reason;
      result.start_time = result.end_time = std::chrono::system_clock::now();
      return Finish(task, std::move(result), /*ran=*/false);
    }
  }
  std::string error;
  std::unique_ptr<RunningTask> process = Launch(task, &error);
  result.start_time = task->start_time;
  const Duration timeout = spec.timeout.value_or(options_.default_timeout);
  if (!process) {
    telemetry_.ErrorOccurred("task_spawn");
    result.status = TaskStatus::kFailed;
    result.reason = "spawn failed: " + error;
    result.end_time = std::chrono::system_clock::now();
    result.duration = std::chrono::steady_clock::now() - task->steady_start;
    return Finish(task, std::move(result), /*ran=*/true);
  }

  const size_t cap = options_.max_kept_output_bytes;
  auto on_chunk = [&](OutputStream stream, std::string_view chunk) {
    result.output_bytes += chunk.size();
    if (result.kept_output.size() < cap) {
      result.kept_output.append(chunk.substr(0, cap - result.kept_output.size()));
    }
    if (result.output_bytes > cap) result.output_truncated = true;
    if (on_output) on_output(stream, chunk);
  };
  SupervisionLimits limits;
  limits.deadline = TaskDeadline(task->steady_start, timeout);
  limits.kill_grace = options_.kill_grace;
  limits.cancel_fd = ThreadCancelFd();
  {
    std::lock_guard lock(mutex_);
    task->cancel_fd = limits.cancel_fd;
    if (task->cancel_requested) WakeCancelFd(limits.cancel_fd);  // cancelled while it spawned
  }
  // However supervision ends: no cancel may reach this eventfd any more, and it starts the next
  // task empty.
  struct CancelFdRelease {
    TaskRunner& runner;
    Active& task;
    ~CancelFdRelease() {
      int fd;
      {
        std::lock_guard lock(runner.mutex_);
        fd = task.cancel_fd;
        task.cancel_fd = -1;
      }
      DrainCancelFd(fd);
    }
  } release{*this, *task};
  ProcessExit exit;
  try {
    exit = process->Supervise(limits, on_chunk, notice);
  } catch (...) {
    process.reset();  // kills the task and reaps (process mode) or stops its unit
    result.status = TaskStatus::kFailed;
    result.reason = "aborted: the output consumer failed";
    result.end_time = std::chrono::system_clock::now();
    result.duration = std::chrono::steady_clock::now() - task->steady_start;
    Finish(task, std::move(result), /*ran=*/true);
    throw;
  }
  result.end_time = std::chrono::system_clock::now();
  result.duration = std::chrono::steady_clock::now() - task->steady_start;
  result.exit_code = exit.exit_code;
  result.signal = exit.signal;
  result.timed_out = exit.timed_out;
  result.cancelled = exit.cancelled;
  result.usage = exit.usage;
  result.limits_not_enforced = LimitsNotEnforced(task->limits, exit.support ? *exit.support : starter_.support());
  result.status = TaskStatus::kFailed;
  if (exit.timed_out) {
    telemetry_.ErrorOccurred("task_timeout");
    result.reason = "timed out after " + FormatDuration(timeout);
  } else if (exit.cancelled) {
    std::lock_guard lock(mutex_);
    result.reason = task->cancel_reason;
  } else if (!exit.failure.empty()) {
    if (exit.failure.starts_with("spawn failed")) telemetry_.ErrorOccurred("task_spawn");
    result.reason = exit.failure;
  } else if (exit.signal != 0) {
    result.reason = fmt::format("killed by signal {}", exit.signal);
  } else if (exit.exit_code < 0) {
    result.reason = "exit status unknown (reaped elsewhere)";
  } else if (exit.exit_code != 0) {
    result.reason = fmt::format("exit code {}", exit.exit_code);
  } else {
    result.status = TaskStatus::kSuccess;
  }
  return Finish(task, std::move(result), /*ran=*/true);
}

TaskResult TaskRunner::Finish(const ActivePtr& task, TaskResult result, bool ran) {
  // Metrics first: whoever sees the task finished (Get, List, Shutdown) sees them too.
  if (ran) {
    telemetry_.TaskFinished(result.group, result.name, result.status == TaskStatus::kSuccess ? "success" : "failed",
                            std::chrono::duration<double>(result.duration).count(), result.output_truncated, result.id);
    if (result.usage.measured) {
      telemetry_.TaskAccounted(result.group, result.name, result.usage.cpu_seconds, result.usage.memory_peak_bytes);
    }
  } else {
    telemetry_.TaskFailedWithoutDuration(result.group);  // cancelled while queued: it never ran
  }
  {
    std::lock_guard lock(mutex_);
    if (auto it = active_.find(task->id); it != active_.end() && it->second == task) active_.erase(it);
    if (task->status == TaskStatus::kRunning) {
      --running_;
      WakeQueueFrontLocked();
    }
    task->status = result.status;
    if (options_.history_size > 0) {
      history_.push_front(result);
      if (history_.size() > options_.history_size) history_.pop_back();
    }
  }
  if (journal_) journal_->Finished(result);
  changed_.notify_all();
  // Environment values (secrets) and the command are deliberately not logged here.
  if (logger_.Enabled(LogLevel::kInfo)) {
    std::string message = fmt::format("task {} finished: {}", result.id, TaskStatusName(result.status));
    if (!result.reason.empty()) message += fmt::format(" ({})", result.reason);
    if (!result.limits_not_enforced.empty()) message += fmt::format(" [{}]", result.limits_not_enforced);
    auto fields = LogFields(result, std::string(TaskStatusName(result.status)),
                            {"SLOTH_EXIT_CODE", std::to_string(result.exit_code)});
    if (!result.unit.empty()) fields.push_back({"SLOTH_UNIT", result.unit});
    if (!task->spec.caller.empty()) fields.push_back({"SLOTH_CALLER", task->spec.caller});
    logger_.Log(LogLevel::kInfo, message, fields, message_id::kTaskFinished);
  }
  Notify(result);
  return result;
}

bool TaskRunner::Cancel(std::string_view id) {
  std::lock_guard lock(mutex_);
  auto it = active_.find(id);
  if (it == active_.end()) return false;
  RequestCancelLocked(*it->second, "cancelled");
  changed_.notify_all();
  return true;
}

std::vector<TaskResult> TaskRunner::List() const {
  std::lock_guard lock(mutex_);
  std::vector<TaskResult> out;
  out.reserve(active_.size() + history_.size());
  for (const auto& [id, task] : active_) {
    if (task->status == TaskStatus::kRunning) out.push_back(SnapshotLocked(*task));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const TaskResult& a, const TaskResult& b) { return a.start_time < b.start_time; });
  for (const ActivePtr& task : queue_) out.push_back(SnapshotLocked(*task));
  out.insert(out.end(), history_.begin(), history_.end());
  return out;
}

std::optional<TaskResult> TaskRunner::Get(std::string_view id) const {
  std::lock_guard lock(mutex_);
  if (auto it = active_.find(id); it != active_.end()) return SnapshotLocked(*it->second);
  for (const TaskResult& r : history_) {
    if (r.id == id) return r;
  }
  return std::nullopt;
}

size_t TaskRunner::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

bool TaskRunner::Shutdown(Duration grace) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  shutting_down_ = true;
  for (const ActivePtr& task : queue_) RequestCancelLocked(*task, "cancelled: shutting down");
  changed_.notify_all();
  const auto all_done = [this] { return active_.empty(); };
  if (changed_.wait_until(lock, SaturatingAdd(start, grace), all_done)) return true;
  for (const auto& [id, task] : active_) RequestCancelLocked(*task, "cancelled: shutting down");
  changed_.notify_all();
  return changed_.wait_until(lock, SaturatingAdd(SaturatingAdd(start, grace), options_.kill_grace), all_done);
}

}  // namespace sloth
