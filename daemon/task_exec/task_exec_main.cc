// slothd-task-exec: the main process of a task unit (sloth-task-<id>.service). It runs the task's
// shell as its child, waits for it, measures what the task consumed (getrusage, and the task's
// own cgroup where it has the files), sends one report line (daemon/core/tasks/exec_report.h) on
// the report descriptor, and exits as the shell did: same exit code, or killed by the same signal,
// so the unit's ExecMainCode/ExecMainStatus are the shell's.
//
//   slothd-task-exec --report-fd=N -- /bin/sh -c COMMAND
//
// With N = 0 (the unit's standard input is the report socket) the shell gets /dev/null as its
// standard input. Started once per task: it uses the C library only (no C++ runtime to load).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

constexpr int kExitUsage = 64;  // EX_USAGE: slothd-task-exec itself was called wrongly

// Signals that stop a unit (KillSignal=, SIGHUP), and SIGPIPE: held pending here so that the
// report is sent after the shell has exited of them; the shell starts with none blocked.
void BlockedSignals(sigset_t* set) {
  static const int kSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE};
  sigemptyset(set);
  for (int sig : kSignals) sigaddset(set, sig);
}

// The contents of a small file, NUL-terminated; false when it cannot be read.
bool ReadSmallFile(const char* path, char* buffer, size_t size) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t used = 0;
  for (;;) {
    const ssize_t n = read(fd, buffer + used, size - 1 - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += static_cast<size_t>(n);
    if (used == size - 1) break;
  }
  close(fd);
  buffer[used] = '\0';
  return used > 0;
}

// The number after `key` (at the start of a line) in `text`; false if absent.
bool KeyedNumber(const char* text, const char* key, uint64_t* value) {
  const size_t key_len = strlen(key);
  for (const char* line = text; line != nullptr && *line != '\0';) {
    if (strncmp(line, key, key_len) == 0 && line[key_len] == ' ') {
      *value = strtoull(line + key_len + 1, nullptr, 10);
      return true;
    }
    line = strchr(line, '\n');
    if (line != nullptr) ++line;
  }
  return false;
}

bool FileNumber(const char* path, uint64_t* value) {
  char text[64];
  if (!ReadSmallFile(path, text, sizeof text)) return false;
  char* end = nullptr;
  *value = strtoull(text, &end, 10);
  return end != text;
}

// This process's cgroups, as /proc/self/cgroup lists them: the unified (v2) path, and the v1
// hierarchy paths of memory, cpu and pids ("" when not mounted, "/" when at the root).
struct Cgroups {
  char unified[512] = "";
  char memory[512] = "";
  char cpu[512] = "";
  char pids[512] = "";
};

void CopyPath(char* to, const char* from, size_t length) {
  const size_t n = length < 511 ? length : 511;
  memcpy(to, from, n);
  to[n] = '\0';
}

// Whether the comma-separated `list` (of length `length`) holds `name`.
bool ListHas(const char* list, size_t length, const char* name) {
  const size_t name_len = strlen(name);
  for (size_t start = 0; start < length;) {
    const char* comma = static_cast<const char*>(memchr(list + start, ',', length - start));
    const size_t end = comma != nullptr ? static_cast<size_t>(comma - list) : length;
    if (end - start == name_len && memcmp(list + start, name, name_len) == 0) return true;
    start = end + 1;
  }
  return false;
}

void ReadCgroups(Cgroups* groups) {
  char text[4096];
  if (!ReadSmallFile("/proc/self/cgroup", text, sizeof text)) return;
  for (char* line = text; line != nullptr && *line != '\0';) {
    char* next = strchr(line, '\n');
    if (next != nullptr) *next++ = '\0';
    // "ID:CONTROLLERS:PATH"
    char* first = strchr(line, ':');
    char* second = first != nullptr ? strchr(first + 1, ':') : nullptr;
    if (second != nullptr) {
      const char* list = first + 1;
      const size_t list_len = static_cast<size_t>(second - list);
      const char* path = second + 1;
      const size_t path_len = strlen(path);
      if (list_len == 0) CopyPath(groups->unified, path, path_len);
      if (ListHas(list, list_len, "memory")) CopyPath(groups->memory, path, path_len);
      if (ListHas(list, list_len, "cpu")) CopyPath(groups->cpu, path, path_len);
      if (ListHas(list, list_len, "pids")) CopyPath(groups->pids, path, path_len);
    }
    line = next;
  }
}

bool InUnitCgroup(const char* path) { return path[0] == '/' && path[1] != '\0'; }

struct Measurement {
  uint64_t cpu_usec = 0;
  bool cpu_from_cgroup = false;
  uint64_t memory_peak = 0;
  bool memory_from_cgroup = false;
  uint64_t oom_kills = 0;
  bool memory = false, cpu = false, pids = false;  // controllers enforcing limits on this task
};

// The cgroup's figures where the host gives them; `rusage` (the shell and what it waited for)
// fills the rest.
void Measure(const rusage& usage, Measurement* m) {
  m->cpu_usec = static_cast<uint64_t>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000 +
                static_cast<uint64_t>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  m->memory_peak = static_cast<uint64_t>(usage.ru_maxrss) * 1024;
  Cgroups groups;
  ReadCgroups(&groups);
  char path[1100];
  char text[1024];
  uint64_t value = 0;
  if (InUnitCgroup(groups.unified)) {
    // Pure v2 mounts the hierarchy at /sys/fs/cgroup; the hybrid layout at /sys/fs/cgroup/unified.
    struct stat st {};
    const char* base =
        stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
    snprintf(path, sizeof path, "%s%s/cpu.stat", base, groups.unified);
    if (ReadSmallFile(path, text, sizeof text) && KeyedNumber(text, "usage_usec", &value)) {
      m->cpu_usec = value;
      m->cpu_from_cgroup = true;
    }
    snprintf(path, sizeof path, "%s%s/cgroup.controllers", base, groups.unified);
    if (ReadSmallFile(path, text, sizeof text)) {
      const size_t len = strcspn(text, "\n");
      for (size_t start = 0; start < len;) {
        const size_t word = strcspn(text + start, " \n");
        if (word == 6 && strncmp(text + start, "memory", 6) == 0) m->memory = true;
        if (word == 3 && strncmp(text + start, "cpu", 3) == 0) m->cpu = true;
        if (word == 4 && strncmp(text + start, "pids", 4) == 0) m->pids = true;
        start += word + 1;
      }
    }
    if (m->memory) {
      snprintf(path, sizeof path, "%s%s/memory.peak", base, groups.unified);
      if (FileNumber(path, &value)) {
        m->memory_peak = value;
        m->memory_from_cgroup = true;
      }
      snprintf(path, sizeof path, "%s%s/memory.events", base, groups.unified);
      if (ReadSmallFile(path, text, sizeof text)) KeyedNumber(text, "oom_kill", &m->oom_kills);
    }
  }
  // v1 hierarchies (the hybrid layout): a controller acts on the task only when systemd placed
  // the unit in a cgroup of its own there.
  if (InUnitCgroup(groups.memory)) {
    m->memory = true;
    snprintf(path, sizeof path, "/sys/fs/cgroup/memory%s/memory.max_usage_in_bytes", groups.memory);
    if (FileNumber(path, &value)) {
      m->memory_peak = value;
      m->memory_from_cgroup = true;
    }
    snprintf(path, sizeof path, "/sys/fs/cgroup/memory%s/memory.oom_control", groups.memory);
    if (ReadSmallFile(path, text, sizeof text)) KeyedNumber(text, "oom_kill", &m->oom_kills);
  }
  if (InUnitCgroup(groups.cpu)) m->cpu = true;
  if (InUnitCgroup(groups.pids)) m->pids = true;
}

void SendReport(int fd, const char* line) {
  const size_t length = strlen(line);
  // MSG_NOSIGNAL: a reader that is gone must not kill us before we exit as the shell did.
  if (send(fd, line, length, MSG_NOSIGNAL) >= 0 || errno != ENOTSOCK) return;
  while (write(fd, line, length) < 0 && errno == EINTR) {
  }
}

// Ends this process the way the shell ended.
[[noreturn]] void ExitAs(int status) {
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  const int sig = WTERMSIG(status);
  // No core of this process: the shell's, if any, was already written.
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  signal(sig, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, sig);
  sigprocmask(SIG_UNBLOCK, &only, nullptr);
  raise(sig);
  _exit(128 + sig);
}

}  // namespace

int main(int argc, char** argv) {
  int report_fd = -1;
  int first = 1;
  if (argc > first && strncmp(argv[first], "--report-fd=", 12) == 0) {
    report_fd = atoi(argv[first] + 12);
    ++first;
  }
  if (argc > first && strcmp(argv[first], "--") == 0) ++first;
  if (first >= argc || report_fd < 0) {
    fprintf(stderr, "usage: slothd-task-exec --report-fd=N -- COMMAND [ARGUMENT...]\n");
    return kExitUsage;
  }
  if (report_fd == 0) {
    // The report socket leaves standard input; the task reads an empty file there instead.
    report_fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
    const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (report_fd < 0 || null_fd < 0 || dup2(null_fd, 0) != 0) {
      fprintf(stderr, "slothd-task-exec: cannot set up standard input: %s\n", strerror(errno));
      return kExitUsage;
    }
    close(null_fd);
  } else {
    fcntl(report_fd, F_SETFD, FD_CLOEXEC);
  }

  sigset_t blocked;
  BlockedSignals(&blocked);
  sigprocmask(SIG_BLOCK, &blocked, nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &blocked);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t child = -1;
  const int spawn_error = posix_spawn(&child, argv[first], nullptr, &attr, argv + first, environ);
  posix_spawnattr_destroy(&attr);
  char line[512];
  if (spawn_error != 0) {
    fprintf(stderr, "slothd-task-exec: cannot run %s: %s\n", argv[first], strerror(spawn_error));
    snprintf(line, sizeof line, "slothd-task-exec/1 spawn_errno=%d\n", spawn_error);
    SendReport(report_fd, line);
    return 127;
  }

  int status = 0;
  rusage usage{};
  while (wait4(child, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      status = 127 << 8;
      break;
    }
  }
  Measurement m;
  Measure(usage, &m);
  char ending[32];
  if (WIFEXITED(status)) {
    snprintf(ending, sizeof ending, "exit=%d", WEXITSTATUS(status));
  } else {
    snprintf(ending, sizeof ending, "signal=%d", WTERMSIG(status));
  }
  snprintf(line, sizeof line,
           "slothd-task-exec/1 %s cpu_usec=%llu cpu_from=%s mem_peak=%llu mem_from=%s oom_kills=%llu memory=%d cpu=%d "
           "pids=%d\n",
           ending, static_cast<unsigned long long>(m.cpu_usec), m.cpu_from_cgroup ? "cgroup" : "rusage",
           static_cast<unsigned long long>(m.memory_peak), m.memory_from_cgroup ? "cgroup" : "rusage",
           static_cast<unsigned long long>(m.oom_kills), m.memory ? 1 : 0, m.cpu ? 1 : 0, m.pids ? 1 : 0);
  SendReport(report_fd, line);
  ExitAs(status);
}
