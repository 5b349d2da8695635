#include "daemon/core/tasks/task_process.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <iterator>

#include "daemon/core/tasks/process_tree.h"
#include "daemon/core/tasks/task_environment.h"

namespace sloth {
namespace {

constexpr size_t kReadBufferBytes = size_t{64} * 1024;

constexpr std::array<std::string_view, 7> kDaemonOnlyVariables = {
    "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"};

std::string_view NameOf(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// The task's stdin. Opened once: every task reads the same empty file, and the child then only
// dup2()s it instead of walking the path again.
int DevNull(int* error) {
  static const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  static const int open_error = fd < 0 ? errno : 0;
  *error = open_error;
  return fd;
}

// What the child needs, prepared by the parent: the child shares our memory (CLONE_VM) and runs
// while we wait (CLONE_VFORK), so it may read this and write `error`, but must not allocate.
struct ChildPlan {
  int stdin_fd;
  int stdout_fd;
  int stderr_fd;
  const char* workdir;
  char* const* argv;
  char* const* envp;
  uint64_t address_space_max;  // RLIMIT_AS, 0: left as inherited
  int error = 0;               // errno of the step that failed, if any
};

// The kernel's struct sigaction (rt_sigaction), not glibc's: the child uses raw syscalls only.
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};

bool MoveFd(int from, int to) {
  if (from == to) return ::syscall(SYS_fcntl, to, F_SETFD, 0) == 0;  // dup2 would keep CLOEXEC
  return ::syscall(SYS_dup2, from, to) == to;
}

// Runs in the child between clone and execve: raw system calls only (no allocation, no lock,
// nothing a sanitizer intercepts), since it shares the parent's memory and thread state.
__attribute__((no_sanitize("address", "thread", "undefined"))) int ChildMain(void* arg) {
  auto* plan = static_cast<ChildPlan*>(arg);
  // Its own process group, so that timeouts and cancels reach every process of the task.
  if (::syscall(SYS_setpgid, 0, 0) != 0) goto fail;
  // Default dispositions before unblocking: an inherited SIG_IGN (SIGPIPE) would survive exec,
  // and a daemon handler must never run here, on the parent's memory.
  for (int sig = 1; sig < 65; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    KernelSigaction current{};
    if (::syscall(SYS_rt_sigaction, sig, nullptr, &current, sizeof(uint64_t)) != 0) continue;
    if (current.handler == SIG_DFL) continue;
    KernelSigaction dfl{};
    dfl.handler = SIG_DFL;
    ::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof(uint64_t));
  }
  {
    // The daemon blocks SIGTERM/SIGINT/SIGHUP in every thread, and the parent blocked all for
    // the clone: the task starts with none blocked.
    const uint64_t none = 0;
    if (::syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof none) != 0) goto fail;
  }
  if (!MoveFd(plan->stdin_fd, 0) || !MoveFd(plan->stdout_fd, 1) || !MoveFd(plan->stderr_fd, 2)) goto fail;
  // Nothing of the daemon's (sockets, the journal, other tasks' pipes) leaks into the task.
  if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0) goto fail;
  if (::syscall(SYS_chdir, plan->workdir) != 0) goto fail;
  if (plan->address_space_max != 0) {
    const rlimit limit{plan->address_space_max, plan->address_space_max};
    if (::syscall(SYS_prlimit64, 0, RLIMIT_AS, &limit, nullptr) != 0) goto fail;
  }
  ::syscall(SYS_execve, "/bin/sh", plan->argv, plan->envp);
fail:
  plan->error = errno;
  ::syscall(SYS_exit, 127);
  return 127;
}

// ThreadSanitizer intercepts clone() and treats it as a fork, whose bookkeeping a CLONE_VM child
// would then do in our own memory: its builds call glibc's clone() directly.
using CloneFunction = int (*)(int (*)(void*), void*, int, void*, ...);
CloneFunction GlibcClone() {
#if defined(__SANITIZE_THREAD__)
  static const auto glibc_clone = reinterpret_cast<CloneFunction>(
      ::dlsym(::dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD), "clone"));  // libc's own, not libtsan's
  return glibc_clone;
#else
  return &::clone;
#endif
}

// Blocks every signal in this thread while it lives: none may be handled by the child before it
// has reset its dispositions (it shares our handlers' memory).
class AllSignalsBlocked {
 public:
  AllSignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved_);
  }
  ~AllSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  AllSignalsBlocked(const AllSignalsBlocked&) = delete;
  AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;

 private:
  sigset_t saved_;
};

}  // namespace

TaskEnvironment BuildTaskEnvironment(char* const* base, const EnvOverrides& overrides) {
  TaskEnvironment env;
  env.owned.reserve(overrides.size());  // envp points into these: they must not move
  for (char* const* entry = base; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view name = NameOf(*entry);
    const bool daemon_only =
        std::find(kDaemonOnlyVariables.begin(), kDaemonOnlyVariables.end(), name) != kDaemonOnlyVariables.end();
    const bool overridden =
        std::any_of(overrides.begin(), overrides.end(), [name](const auto& kv) { return kv.first == name; });
    if (!daemon_only && !overridden) env.envp.push_back(*entry);
  }
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    // A later override of the same name wins.
    const bool overridden_later =
        std::any_of(std::next(it), overrides.end(), [&name = it->first](const auto& kv) { return kv.first == name; });
    if (overridden_later) continue;
    env.owned.push_back(it->first + "=" + it->second);
    env.envp.push_back(env.owned.back().data());
  }
  env.envp.push_back(nullptr);
  return env;
}

TaskProcess::TaskProcess(pid_t pid, UniqueFd pidfd, UniqueFd out, UniqueFd err, UniqueFd out_write, UniqueFd err_write)
    : pid_(pid),
      pidfd_(std::move(pidfd)),
      out_(std::move(out)),
      err_(std::move(err)),
      out_write_(std::move(out_write)),
      err_write_(std::move(err_write)) {}

std::unique_ptr<TaskProcess> TaskProcess::Spawn(const std::string& command, const std::string& workdir,
                                                const EnvOverrides& env, int* error, uint64_t address_space_max,
                                                TaskProcessTable* table, std::string task_id) {
  const int dev_null = DevNull(error);
  if (dev_null < 0) return nullptr;
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

  EnvOverrides marked = env;
  if (table != nullptr)
    marked.emplace_back(std::string(kTaskIdVariable), task_id);  // last: the request cannot change it
  TaskEnvironment task_env = BuildTaskEnvironment(DaemonUserEnvironment(), marked);
  std::string sh = "sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  ChildPlan plan{dev_null, out_write.get(),      err_write.get(),  workdir.c_str(),
                 argv,     task_env.envp.data(), address_space_max};

  // The child runs on this stack area while we are suspended (CLONE_VFORK), as musl's
  // posix_spawn does: no stack to map and unmap per task (an unmap is a TLB shootdown on every
  // core running one of our threads). CLONE_PIDFD hands us its pidfd in the same call.
  alignas(64) char child_stack[16 * 1024];
  int pidfd = -1;
  pid_t pid;
  std::shared_lock<std::shared_mutex> entering;  // no orphan sweep reaps the shell before the table has it
  if (table != nullptr) entering = table->SpawnGuard();
  {
    AllSignalsBlocked blocked;
    pid = GlibcClone()(ChildMain, child_stack + sizeof child_stack, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD,
                       &plan, &pidfd);
  }
  if (pid > 0 && table != nullptr) table->ShellStarted(pid);
  if (entering) entering.unlock();
  if (pid < 0) {
    *error = errno;
    return nullptr;
  }
  UniqueFd pidfd_owned(pidfd);
  if (plan.error != 0) {
    // It never became the shell: reap the child that exited with 127.
    *error = plan.error;
    siginfo_t info{};
    while (::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED) != 0 && errno == EINTR) {
    }
    if (table != nullptr) table->ShellReaped(pid);
    return nullptr;
  }
  // Our copies of the write ends stay open until the shell has exited (see Supervise).
  std::unique_ptr<TaskProcess> process(new TaskProcess(pid, std::move(pidfd_owned), std::move(out_read),
                                                       std::move(err_read), std::move(out_write),
                                                       std::move(err_write)));
  process->table_ = table;
  process->task_id_ = std::move(task_id);
  // With the pid, it names the shell for good (a restarted slothd tells it from a reused pid).
  if (table != nullptr) {
    if (auto stat = ReadProcessStat(pid)) process->start_ticks_ = stat->start_ticks;
  }
  return process;
}

RunningTaskRecord TaskProcess::Record() const {
  return RunningTaskRecord{.pid = pid_, .start_ticks = start_ticks_, .unit = {}};
}

TaskProcess::~TaskProcess() {
  if (reaped_) return;
  SignalTask(SIGKILL);
  ProcessExit ignored;
  Reap(&ignored);
  if (table_ != nullptr) table_->KillLeftovers(task_id_, /*group=*/0);  // reaped: pid_ is free again
}

void TaskProcess::SignalTask(int sig) const {
  if (reaped_) return;
  // Safe from pid reuse: the leader is not reaped yet, so its pid (= the pgid) stays reserved.
  ::kill(-pid_, sig);
  if (table_ != nullptr) table_->SignalTask(task_id_, pid_, sig);
}

void TaskProcess::Reap(ProcessExit* exit) {
  siginfo_t info{};
  rusage usage{};
  long rc;
  do {
    // The system call, not glibc's waitid(): only it also returns the shell's resource usage
    // (its own and that of every process it waited for), for free.
    rc = ::syscall(SYS_waitid, P_PIDFD, pidfd_.get(), &info, WEXITED, &usage);
  } while (rc != 0 && errno == EINTR);
  reaped_ = true;
  if (table_ != nullptr) table_->ShellReaped(pid_);
  if (rc != 0) return;  // ECHILD: someone else reaped it (SIGCHLD ignored); the status is lost.
  exit->usage.measured = true;
  exit->usage.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                            static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  exit->usage.memory_peak_bytes = static_cast<uint64_t>(usage.ru_maxrss) * 1024;
  if (info.si_code == CLD_EXITED) {
    exit->exit_code = info.si_status;
  } else {
    exit->signal = info.si_status;
  }
}

ProcessExit TaskProcess::Supervise(const SupervisionLimits& limits, const ChunkSink& on_chunk,
                                   const TaskNotice& notice) {
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
  bool notice_pending = static_cast<bool>(notice.call);
  Clock::time_point kill_at{};
  Clock::time_point drain_until{};
  auto buffer = std::make_unique_for_overwrite<char[]>(kReadBufferBytes);  // not zeroed: read() fills it

  auto terminate = [&](Clock::time_point now) {
    SignalTask(SIGTERM);
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
    if (notice_pending && !shell_exited) {
      const int notice_ms = PollTimeoutMs(now, notice.at);
      if (timeout_ms < 0 || notice_ms < timeout_ms) timeout_ms = notice_ms;
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
      // of our pipes cannot hold the task open; and so does what left the group (`setsid ... &`):
      // KillLeftovers finds it among our orphans (the shell has no descendants left to signal).
      ::kill(-pid_, SIGKILL);  // the shell is not reaped yet: its pid, the pgid, stays reserved
      if (table_ != nullptr) table_->KillLeftovers(task_id_, pid_);
      // Only now do the pipes go to EOF: while we held their write ends, the shell's exit
      // closing its own copies woke nobody (one wake-up and poll per task fewer).
      out_write_.reset();
      err_write_.reset();
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
      SignalTask(SIGKILL);
      kill_sent = true;
    }
    if (notice_pending && !shell_exited && now >= notice.at) {
      notice_pending = false;
      notice.call();
    }
    if (shell_exited && now >= drain_until) break;
  }

  if (!shell_exited) SignalTask(SIGKILL);  // only after a poll() failure
  Reap(&result);
  if (!shell_exited && table_ != nullptr) table_->KillLeftovers(task_id_, /*group=*/0);  // as in ~TaskProcess
  return result;
}

}  // namespace sloth
