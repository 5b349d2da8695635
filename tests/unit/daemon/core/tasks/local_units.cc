#include "tests/unit/daemon/core/tasks/local_units.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/unique_fd.h"

extern char** environ;

namespace sloth {

struct LocalUnits::Unit {
  std::string name;
  UniqueFd ended_fd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  std::mutex mutex;
  pid_t pid = -1;
  UniqueFd pidfd;
  Duration kill_grace{};
  bool stopping = false;
  bool ended = false;
  UnitEnd end;
};

namespace {

class LocalWatch final : public UnitWatch {
 public:
  explicit LocalWatch(std::shared_ptr<void> keep, int fd, std::function<std::optional<UnitEnd>()> end)
      : keep_(std::move(keep)), fd_(fd), end_(std::move(end)) {}
  int fd() const override { return fd_; }
  std::optional<UnitEnd> end() const override { return end_(); }

 private:
  std::shared_ptr<void> keep_;
  int fd_;
  std::function<std::optional<UnitEnd>()> end_;
};

}  // namespace

LocalUnits::LocalUnits(std::string exec_helper) : exec_helper_(std::move(exec_helper)) {}

LocalUnits::~LocalUnits() {
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, unit] : units_) {
      std::lock_guard unit_lock(unit->mutex);
      if (unit->pid > 0 && !unit->ended) ::kill(-unit->pid, SIGKILL);
    }
  }
  for (std::thread& t : followers_) t.join();
}

Result<std::unique_ptr<UnitWatch>> LocalUnits::Watch(const std::string& name) {
  auto unit = std::make_shared<Unit>();
  unit->name = name;
  {
    std::lock_guard lock(mutex_);
    units_[name] = unit;
  }
  Unit* raw = unit.get();
  return std::unique_ptr<UnitWatch>(
      std::make_unique<LocalWatch>(unit, raw->ended_fd.get(), [raw]() -> std::optional<UnitEnd> {
        std::lock_guard lock(raw->mutex);
        if (!raw->ended) return std::nullopt;
        return raw->end;
      }));
}

Result<void> LocalUnits::Start(const UnitStart& request) {
  std::shared_ptr<Unit> unit;
  {
    std::lock_guard lock(mutex_);
    if (!refusal_.empty()) return Failure{refusal_};
    UnitStart copy = request;
    copy.report_fd = copy.stdout_fd = copy.stderr_fd = -1;
    started_.push_back(std::move(copy));
    unit = units_.at(request.unit);
  }
  unit->kill_grace = request.kill_grace;
  struct stat st {};
  if (::stat(request.workdir.c_str(), &st) != 0) {
    // As systemd ends a unit whose process cannot change to its working directory.
    std::lock_guard lock(unit->mutex);
    unit->end = UnitEnd{"exit-code", CLD_EXITED, 200, false};
    unit->ended = true;
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(unit->ended_fd.get(), &one, sizeof one);
    return {};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, request.report_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, request.stdout_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, request.stderr_fd, 2);
  posix_spawn_file_actions_addchdir_np(&actions, request.workdir.c_str());
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // as the manager: nothing else is inherited
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  std::vector<std::string> args = {exec_helper_, "--report-fd=0", "--", "/bin/sh", "-c", request.command};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Environment=: added to (and overriding) ours.
  std::vector<std::string> env_entries;
  for (char** e = environ; *e != nullptr; ++e) env_entries.emplace_back(*e);
  for (const auto& [name, value] : request.env) env_entries.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (std::string& e : env_entries) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int error = posix_spawn(&pid, exec_helper_.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (error != 0) return Failure{std::strerror(error)};
  {
    std::lock_guard lock(unit->mutex);
    unit->pid = pid;
    unit->pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  }
  std::lock_guard lock(mutex_);
  followers_.emplace_back([this, unit] { Follow(unit); });
  return {};
}

void LocalUnits::Follow(std::shared_ptr<Unit> unit) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point kill_at = Clock::time_point::max();
  for (;;) {
    int timeout_ms = 20;  // re-checks for a stop request
    {
      std::lock_guard lock(unit->mutex);
      if (unit->stopping && kill_at == Clock::time_point::max()) {
        ::kill(-unit->pid, SIGTERM);
        kill_at = Clock::now() + unit->kill_grace;
      }
      if (Clock::now() >= kill_at) ::kill(-unit->pid, SIGKILL);
    }
    pollfd p{unit->pidfd.get(), POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) == 1) break;
  }
  siginfo_t info{};
  ::waitid(P_PIDFD, static_cast<id_t>(unit->pidfd.get()), &info, WEXITED);
  // The unit's cgroup dies with it: what its shell left behind goes too.
  ::kill(-unit->pid, SIGKILL);
  std::function<void(UnitEnd&)> adjust;
  {
    std::lock_guard lock(mutex_);
    adjust = adjust_;
  }
  std::lock_guard lock(unit->mutex);
  unit->end.exec_code = info.si_code;
  unit->end.exec_status = info.si_status;
  unit->end.result = info.si_code == CLD_EXITED ? (info.si_status == 0 ? "success" : "exit-code") : "signal";
  if (adjust) adjust(unit->end);
  unit->ended = true;
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(unit->ended_fd.get(), &one, sizeof one);
}

Result<void> LocalUnits::Stop(const std::string& name) {
  std::shared_ptr<Unit> unit;
  {
    std::lock_guard lock(mutex_);
    auto it = units_.find(name);
    if (it == units_.end()) return Failure{"no such unit: " + name};
    unit = it->second;
  }
  std::lock_guard lock(unit->mutex);
  unit->stopping = true;
  return {};
}

std::vector<UnitStart> LocalUnits::started() const {
  std::lock_guard lock(mutex_);
  return started_;
}

void LocalUnits::RefuseStarts(std::string message) {
  std::lock_guard lock(mutex_);
  refusal_ = std::move(message);
}

void LocalUnits::AdjustEnds(std::function<void(UnitEnd&)> adjust) {
  std::lock_guard lock(mutex_);
  adjust_ = std::move(adjust);
}

}  // namespace sloth
