#include "daemon/core/tasks/unit_task.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

namespace sloth {
namespace {

constexpr size_t kReadBufferBytes = size_t{64} * 1024;
// After a stop, how long past kill_grace to wait for the manager to report the end before giving
// up on the unit (the manager itself SIGKILLs at kill_grace).
constexpr auto kStopSlack = std::chrono::seconds(10);

struct SetupStatus {
  int status;
  const char* name;
  const char* meaning;
};

// systemd's exit statuses for a service process that failed before it ran (systemd.exec(5)).
constexpr std::array<SetupStatus, 12> kSetupStatuses = {{
    {200, "CHDIR", "cannot change to the working directory"},
    {203, "EXEC", "cannot execute slothd-task-exec"},
    {204, "MEMORY", "out of memory while setting up the process"},
    {205, "LIMITS", "cannot apply the resource limits"},
    {208, "STDIN", "cannot set up standard input"},
    {209, "STDOUT", "cannot set up standard output"},
    {216, "GROUP", "cannot switch to the task's group"},
    {217, "USER", "cannot switch to the task's user"},
    {219, "CGROUP", "cannot place the process in the unit's cgroup"},
    {222, "STDERR", "cannot set up standard error"},
    {224, "PAM", "PAM refused the session"},
    {226, "NAMESPACE", "cannot set up the file system namespace"},
}};

}  // namespace

std::optional<std::string> SystemdSetupFailure(int exit_status) {
  if (exit_status < 200 || exit_status > 243) return std::nullopt;
  for (const SetupStatus& s : kSetupStatuses) {
    if (s.status == exit_status) return fmt::format("{}/{}: {}", s.status, s.name, s.meaning);
  }
  return fmt::format("{}: systemd could not set up the process (systemd.exec(5), \"PROCESS EXIT CODES\")", exit_status);
}

UnitTask::UnitTask(TransientUnits& units, std::string unit, std::unique_ptr<UnitWatch> watch, UniqueFd out,
                   UniqueFd err, UniqueFd report, LimitSupport expected, std::string memory_max_text)
    : units_(units),
      unit_(std::move(unit)),
      watch_(std::move(watch)),
      out_(std::move(out)),
      err_(std::move(err)),
      report_(std::move(report)),
      expected_(std::move(expected)),
      memory_max_text_(std::move(memory_max_text)) {}

UnitTask::~UnitTask() {
  if (!ended_) StopUnit();
}

void UnitTask::StopUnit() {
  if (stop_requested_) return;
  stop_requested_ = true;
  if (auto stopped = units_.Stop(unit_); !stopped) stop_error_ = stopped.error().message;
}

bool UnitTask::ReadChunk(int fd, OutputStream stream, const ChunkSink& on_chunk, bool* drained) {
  thread_local auto buffer = std::make_unique_for_overwrite<char[]>(kReadBufferBytes);
  const ssize_t n = ::read(fd, buffer.get(), kReadBufferBytes);
  if (n > 0) {
    on_chunk(stream, std::string_view(buffer.get(), static_cast<size_t>(n)));
    return true;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
    if (errno == EAGAIN) *drained = true;
    return true;
  }
  return false;
}

void UnitTask::ReadReport() {
  char line[1024];
  for (;;) {
    const ssize_t n = ::recv(report_.get(), line, sizeof line, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (auto parsed = ParseExecReport(std::string_view(line, static_cast<size_t>(n)))) exec_report_ = *parsed;
  }
}

ProcessExit UnitTask::Supervise(const SupervisionLimits& limits, const ChunkSink& on_chunk, const TaskNotice& notice) {
  using Clock = std::chrono::steady_clock;
  enum Slot { kOut, kErr, kReport, kEnd, kCancel };
  std::array<pollfd, 5> fds{};
  fds[kOut] = {out_.get(), POLLIN, 0};
  fds[kErr] = {err_.get(), POLLIN, 0};
  fds[kReport] = {report_.get(), POLLIN, 0};
  fds[kEnd] = {watch_->fd(), POLLIN, 0};
  fds[kCancel] = {limits.cancel_fd, POLLIN, 0};

  ProcessExit result;
  bool notice_pending = static_cast<bool>(notice.call);
  bool gave_up = false;
  Clock::time_point give_up_at = Clock::time_point::max();
  auto stop = [&](Clock::time_point now) {
    StopUnit();
    give_up_at = now + limits.kill_grace + kStopSlack;
  };

  while (!ended_) {
    Clock::time_point now = Clock::now();
    Clock::time_point wake = stop_requested_ ? give_up_at : limits.deadline;
    if (notice_pending) wake = std::min(wake, notice.at);
    const int timeout_ms = wake == Clock::time_point::max() ? -1 : PollTimeoutMs(now, wake);
    for (pollfd& p : fds) p.revents = 0;
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
      gave_up = true;
      break;
    }
    now = Clock::now();
    for (Slot slot : {kOut, kErr}) {
      if (fds[slot].fd < 0 || fds[slot].revents == 0) continue;
      bool drained = false;
      if (!ReadChunk(fds[slot].fd, slot == kOut ? OutputStream::kStdout : OutputStream::kStderr, on_chunk, &drained)) {
        fds[slot].fd = -1;
      }
    }
    if (fds[kReport].fd >= 0 && fds[kReport].revents != 0) {
      ReadReport();
      // The manager holds the unit's standard input open while the unit is loaded: no EOF to wait for.
      if (fds[kReport].revents & (POLLHUP | POLLERR)) fds[kReport].fd = -1;
    }
    if (fds[kEnd].revents != 0) ended_ = true;
    if (fds[kCancel].fd >= 0 && fds[kCancel].revents != 0) {
      fds[kCancel].fd = -1;  // stays readable; one notice is enough
      if (!ended_) {
        result.cancelled = !result.timed_out;
        if (!stop_requested_) stop(now);
      }
    }
    if (!ended_ && !stop_requested_ && now >= limits.deadline) {
      result.timed_out = true;
      stop(now);
    }
    if (notice_pending && !ended_ && now >= notice.at) {
      notice_pending = false;
      notice.call();
    }
    if (!ended_ && stop_requested_ && now >= give_up_at) {
      gave_up = true;
      break;
    }
  }
  // Every process of the unit is gone (or we gave up on it): what is left in the pipes is all
  // there will be. The manager still holds their write ends, so read until empty, not EOF.
  for (Slot slot : {kOut, kErr}) {
    bool drained = false;
    while (fds[slot].fd >= 0 && !drained) {
      if (!ReadChunk(fds[slot].fd, slot == kOut ? OutputStream::kStdout : OutputStream::kStderr, on_chunk, &drained)) {
        break;
      }
    }
  }
  ReadReport();
  ProcessExit outcome = Outcome(ended_ ? watch_->end() : std::nullopt, gave_up);
  outcome.timed_out = result.timed_out || outcome.timed_out;
  outcome.cancelled = result.cancelled && !outcome.timed_out;
  if (gave_up) ended_ = true;  // nothing more to stop: the destructor leaves it
  return outcome;
}

ProcessExit UnitTask::Outcome(const std::optional<UnitEnd>& end, bool gave_up) const {
  ProcessExit exit;
  exit.support = exec_report_ ? SupportFromReport(*exec_report_) : expected_;
  if (exec_report_) {
    exit.usage = exec_report_->usage;
    exit.exit_code = exec_report_->exit_code;
    exit.signal = exec_report_->signal;
  }
  // The unit's main process (slothd-task-exec) ends as the shell did, so the manager's own
  // ExecMainCode/ExecMainStatus are the task's exit status.
  if (end && !end->vanished && end->exec_code != 0) {
    exit.exit_code = end->exec_code == 1 ? end->exec_status : -1;
    exit.signal = end->exec_code == 1 ? 0 : end->exec_status;
  }
  if (gave_up) {
    exit.failure = fmt::format("lost track of unit {}: the service manager did not report its end{}", unit_,
                               stop_error_.empty() ? "" : fmt::format(" (stopping it failed: {})", stop_error_));
    return exit;
  }
  if (exec_report_ && exec_report_->spawn_errno != 0) {
    exit.exit_code = -1;
    exit.failure = fmt::format("spawn failed: /bin/sh: {}", std::strerror(exec_report_->spawn_errno));
    return exit;
  }
  if (!exec_report_ && end && end->exec_code == 1) {
    if (auto setup = SystemdSetupFailure(end->exec_status)) {
      exit.exit_code = -1;  // the task's shell never ran: no exit code of its own
      exit.failure = fmt::format("spawn failed: systemd could not start the task's process: exit status {}", *setup);
      return exit;
    }
  }
  if (end && end->result == "timeout") exit.timed_out = true;  // RuntimeMaxSec=, the backstop
  const bool oom = (end && end->result == "oom-kill") || exit.usage.oom_kills > 0;
  if (oom) {
    const std::string status = exit.signal != 0 ? fmt::format("killed by signal {}", exit.signal)
                                                : fmt::format("exit code {}", exit.exit_code);
    exit.failure = fmt::format("{}: out of memory: the kernel's OOM killer killed a process of the task{}", status,
                               memory_max_text_.empty() ? "" : fmt::format(" (memory_max={})", memory_max_text_));
  }
  if (end && end->vanished && !exec_report_) {
    exit.failure = fmt::format("unit {} was unloaded before its end could be read", unit_);
  }
  return exit;
}

}  // namespace sloth
