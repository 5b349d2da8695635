#include "daemon/core/tasks/task_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>

extern char** environ;

namespace sloth {
namespace {

constexpr size_t kReadBufferBytes = 64 * 1024;

constexpr std::array<std::string_view, 7> kDaemonOnlyVariables = {
    "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"};

std::string_view NameOf(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// Releases the posix_spawn objects whatever path Spawn takes.
struct SpawnObjects {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnObjects() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnObjects() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnObjects(const SpawnObjects&) = delete;
  SpawnObjects& operator=(const SpawnObjects&) = delete;
};

// Milliseconds until `when` for poll(), rounded up so we never wake early and spin.
// glibc 2.36's <sys/pidfd.h> lacks extern "C" (fixed in 2.37), so C++ cannot link pidfd_open.
int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int PollTimeoutMs(std::chrono::steady_clock::time_point now, std::chrono::steady_clock::time_point when) {
  if (when <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(when - now).count();
  return static_cast<int>(std::min<long long>(ms, INT_MAX));
}

}  // namespace

std::vector<std::string> BuildTaskEnvironment(char* const* base, const EnvOverrides& overrides) {
  std::vector<std::string> env;
  for (char* const* entry = base; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::string_view name = NameOf(text);
    const bool daemon_only =
        std::find(kDaemonOnlyVariables.begin(), kDaemonOnlyVariables.end(), name) != kDaemonOnlyVariables.end();
    const bool overridden =
        std::any_of(overrides.begin(), overrides.end(), [name](const auto& kv) { return kv.first == name; });
    if (!daemon_only && !overridden) env.emplace_back(text);
  }
  for (const auto& [name, value] : overrides) {
    // A later override of the same name wins; drop the earlier one.
    std::erase_if(env, [&name = name](const std::string& e) { return NameOf(e) == name; });
    env.push_back(name + "=" + value);
  }
  return env;
}

TaskProcess::TaskProcess(pid_t pid, UniqueFd pidfd, UniqueFd out, UniqueFd err)
    : pid_(pid), pidfd_(std::move(pidfd)), out_(std::move(out)), err_(std::move(err)) {}

std::unique_ptr<TaskProcess> TaskProcess::Spawn(const std::string& command, const std::string& workdir,
                                                const EnvOverrides& env, int* error) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    *error = errno;
    return nullptr;
  }
  UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    *error = errno;
    return nullptr;
  }
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);

  SpawnObjects spawn;
  int rc = posix_spawn_file_actions_addopen(&spawn.actions, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&spawn.actions, out_write.get(), 1);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&spawn.actions, err_write.get(), 2);
  // Nothing of the daemon's (sockets, the journal, other tasks' pipes) leaks into the task.
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&spawn.actions, 3);
  if (rc == 0) rc = posix_spawn_file_actions_addchdir_np(&spawn.actions, workdir.c_str());
  // The daemon blocks SIGTERM/SIGINT/SIGHUP in every thread; the task must not inherit that.
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&spawn.attr, &none);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&spawn.attr, &all);
  if (rc == 0) rc = posix_spawnattr_setpgroup(&spawn.attr, 0);
  if (rc == 0) {
    rc = posix_spawnattr_setflags(&spawn.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  if (rc != 0) {
    *error = rc;
    return nullptr;
  }

  std::vector<std::string> env_strings = BuildTaskEnvironment(environ, env);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string sh = "sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};

  pid_t pid = -1;
  rc = ::posix_spawn(&pid, "/bin/sh", &spawn.actions, &spawn.attr, argv, envp.data());
  if (rc != 0) {
    *error = rc;
    return nullptr;
  }
  UniqueFd pidfd(PidfdOpen(pid));
  if (!pidfd) {
    // Without a pidfd we cannot supervise it: take it down at once.
    *error = errno;
    ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return nullptr;
  }
  // Our copies of the write ends must go, or the pipes would never reach EOF.
  out_write.reset();
  err_write.reset();
  return std::unique_ptr<TaskProcess>(new TaskProcess(pid, std::move(pidfd), std::move(out_read), std::move(err_read)));
}

TaskProcess::~TaskProcess() {
  if (reaped_) return;
  SignalGroup(SIGKILL);
  ProcessExit ignored;
  Reap(&ignored);
}

void TaskProcess::SignalGroup(int sig) const {
  // Safe from pid reuse: the leader is not reaped yet, so its pid (= the pgid) stays reserved.
  if (!reaped_) ::kill(-pid_, sig);
}

void TaskProcess::Reap(ProcessExit* exit) {
  siginfo_t info{};
  int rc;
  do {
    rc = ::waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED);
  } while (rc != 0 && errno == EINTR);
  reaped_ = true;
  if (rc != 0) return;  // ECHILD: someone else reaped it (SIGCHLD ignored); the status is lost.
  if (info.si_code == CLD_EXITED) {
    exit->exit_code = info.si_status;
  } else {
    exit->signal = info.si_status;
  }
}

ProcessExit TaskProcess::Supervise(const SupervisionLimits& limits, const ChunkSink& on_chunk) {
  using Clock = std::chrono::steady_clock;
  enum Slot { kOut, kErr, kPid, kCancel };
  std::array<pollfd, 4> fds{};
  fds[kOut] = {out_.get(), POLLIN, 0};
  fds[kErr] = {err_.get(), POLLIN, 0};
  fds[kPid] = {pidfd_.get(), POLLIN, 0};
  fds[kCancel] = {limits.cancel_fd, POLLIN, 0};

  ProcessExit result;
  bool shell_exited = false;
  bool term_sent = false;
  bool kill_sent = false;
  Clock::time_point kill_at{};
  Clock::time_point drain_until{};
  auto buffer = std::make_unique<char[]>(kReadBufferBytes);

  auto terminate = [&](Clock::time_point now) {
    SignalGroup(SIGTERM);
    term_sent = true;
    kill_at = now + limits.kill_grace;
  };

  while (!shell_exited || fds[kOut].fd >= 0 || fds[kErr].fd >= 0) {
    Clock::time_point now = Clock::now();
    int timeout_ms = -1;
    if (shell_exited) {
      timeout_ms = PollTimeoutMs(now, drain_until);
    } else if (!term_sent) {
      timeout_ms = PollTimeoutMs(now, limits.deadline);
    } else if (!kill_sent) {
      timeout_ms = PollTimeoutMs(now, kill_at);
    }
    for (pollfd& p : fds) p.revents = 0;
    if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) break;
    now = Clock::now();

    for (Slot slot : {kOut, kErr}) {
      if (fds[slot].fd < 0 || fds[slot].revents == 0) continue;
      const ssize_t n = ::read(fds[slot].fd, buffer.get(), kReadBufferBytes);
      if (n > 0) {
        on_chunk(slot == kOut ? OutputStream::kStdout : OutputStream::kStderr,
                 std::string_view(buffer.get(), static_cast<size_t>(n)));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        fds[slot].fd = -1;  // EOF: every writer is gone
      }
    }
    if (fds[kPid].fd >= 0 && fds[kPid].revents != 0) {
      shell_exited = true;
      fds[kPid].fd = -1;
      // Whatever the shell left behind in its group (`sleep 100 &`) dies with it, so its copies
      // of our pipes cannot hold the task open.
      SignalGroup(SIGKILL);
      // Only a descendant that left the group can still hold a pipe; don't wait for it forever.
      drain_until = now + limits.kill_grace;
    }
    if (fds[kCancel].fd >= 0 && fds[kCancel].revents != 0) {
      fds[kCancel].fd = -1;  // stays readable; one notice is enough
      if (!shell_exited) {
        result.cancelled = !result.timed_out;
        if (!term_sent) terminate(now);
      }
    }
    if (!shell_exited && !term_sent && now >= limits.deadline) {
      result.timed_out = true;
      terminate(now);
    }
    if (!shell_exited && term_sent && !kill_sent && now >= kill_at) {
      SignalGroup(SIGKILL);
      kill_sent = true;
    }
    if (shell_exited && now >= drain_until) break;
  }

  if (!shell_exited) SignalGroup(SIGKILL);  // only after a poll() failure
  Reap(&result);
  return result;
}

}  // namespace sloth
