#include "daemon/core/tasks/process_starter.h"

#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <system_error>

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
      TaskProcess::Spawn(request.spec.command, std::string(request.workdir), request.env, &error, address_space);
  if (!process) return Failure{std::generic_category().message(error)};
  return std::unique_ptr<RunningTask>(std::move(process));
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
