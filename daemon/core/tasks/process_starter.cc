#include "daemon/core/tasks/process_starter.h"

#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <system_error>

#include "common/unique_fd.h"
#include "daemon/core/tasks/process_tree.h"
#include "daemon/core/tasks/task_process.h"

namespace sloth {

ProcessStarter::ProcessStarter(std::string own_user) : own_user_(std::move(own_user)) {}

Result<std::string> ProcessStarter::TaskUser(std::string_view requested, const std::string& /*configured*/) const {
  // [tasks] user is a unit property; a child process can only be what the daemon is.
  if (requested.empty() || requested == own_user_) return own_user_;
  return Failure{
      fmt::format("cannot run a task as user \"{}\": this agent runs tasks as its own processes "
                  "(process mode), as user \"{}\"; other users need unit mode ([tasks] isolation)",
                  requested, own_user_)};
}

LimitSupport ProcessStarter::support() const {
  constexpr std::string_view kNeedsUnit = "process mode: tasks are the agent's own processes, only a unit can limit {}";
  return LimitSupport{"", fmt::format(kNeedsUnit, "their CPU"), fmt::format(kNeedsUnit, "their number")};
}

Result<std::unique_ptr<RunningTask>> ProcessStarter::Start(const LaunchRequest& request) {
  int error = 0;
  const uint64_t address_space = request.limits.memory_max.value_or(0);
  std::unique_ptr<TaskProcess> process =
      TaskProcess::Spawn(request.spec.command, std::string(request.workdir), request.env, &error, address_space,
                         &table_, std::string(request.id));
  if (!process) return Failure{std::generic_category().message(error)};
  return std::unique_ptr<RunningTask>(std::move(process));
}

bool ProcessStarter::StopLeftover(std::string_view task_id, const RunningTaskRecord& record) {
  // Its processes went to init (or another subreaper) when the old slothd died: look everywhere.
  bool stopped = false;
  for (int round = 0; round < 16; ++round) {
    std::vector<pid_t> targets;
    for (pid_t pid : AllProcesses()) {
      if (pid == ::getpid()) continue;
      const bool shell = pid == record.pid && record.start_ticks != 0 && [&] {
        const auto stat = ReadProcessStat(pid);
        return stat && stat->start_ticks == record.start_ticks && stat->state != 'Z';
      }();
      if (!shell && TaskIdOf(pid) != task_id) continue;
      targets.push_back(pid);
      const auto below = DescendantsOf(pid);
      targets.insert(targets.end(), below.begin(), below.end());
    }
    if (targets.empty()) break;
    for (pid_t pid : targets) stopped = ::kill(pid, SIGKILL) == 0 || stopped;
    // What was killed leaves /proc once reaped by its parent (init: at once); look again.
    for (pid_t pid : targets) {
      UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
      pollfd p{pidfd.get(), POLLIN, 0};
      if (pidfd) ::poll(&p, 1, 1000);
    }
  }
  return stopped;
}

std::string CurrentUserName() {
  const uid_t uid = ::geteuid();
  passwd entry{};
  passwd* found = nullptr;
  char buffer[4096];
  if (::getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr) return found->pw_name;
  return fmt::format("uid {}", uid);
}

}  // namespace sloth
