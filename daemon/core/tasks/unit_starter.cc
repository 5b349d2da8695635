#include "daemon/core/tasks/unit_starter.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <system_error>

#include "common/unique_fd.h"
#include "daemon/core/tasks/unit_task.h"

namespace sloth {
namespace {

constexpr auto kRuntimeBackstop = std::chrono::minutes(1);

std::string ErrnoText(int error) { return std::generic_category().message(error); }

// A pipe whose read end (ours) is non-blocking and whose write end (the unit's) is not: the
// flag belongs to each end's open file, so the task writes as to any pipe.
bool OutputPipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return ::fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0;
}

}  // namespace

std::string TaskUnitName(std::string_view task_id) { return fmt::format("sloth-task-{}.service", task_id); }

UnitStarter::UnitStarter(TransientUnits& units, LimitSupport support, std::string agent)
    : units_(units), support_(std::move(support)), agent_(std::move(agent)) {}

Result<std::string> UnitStarter::TaskUser(std::string_view requested, const std::string& configured) const {
  const std::string user(requested.empty() ? std::string_view(configured) : requested);
  passwd entry{};
  passwd* found = nullptr;
  char buffer[4096];
  const int error = ::getpwnam_r(user.c_str(), &entry, buffer, sizeof buffer, &found);
  if (found == nullptr) {
    return Failure{fmt::format("cannot run a task as user \"{}\": {}", user,
                               error != 0 ? ErrnoText(error) : "no such user on this system")};
  }
  return user;
}

Result<std::unique_ptr<RunningTask>> UnitStarter::Start(const LaunchRequest& request) {
  UniqueFd out_read, out_write, err_read, err_write;
  if (!OutputPipe(&out_read, &out_write) || !OutputPipe(&err_read, &err_write)) return Failure{ErrnoText(errno)};
  int report[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, report) != 0) {
    return Failure{ErrnoText(errno)};
  }
  UniqueFd report_ours(report[0]), report_theirs(report[1]);
  // The unit's end of the socket must block like any standard input would.
  if (::fcntl(report[1], F_SETFL, 0) != 0) return Failure{ErrnoText(errno)};

  UnitStart start;
  start.unit = TaskUnitName(request.id);
  auto watch = units_.Watch(start.unit);
  if (!watch) return Failure{watch.error().message};
  start.agent = agent_;
  start.task_id = std::string(request.id);
  start.task_name = request.spec.name;
  start.group = request.spec.group;
  start.command = request.spec.command;
  start.user = std::string(request.user);
  start.workdir = std::string(request.workdir);
  start.env = request.env;
  start.limits = request.limits;
  start.kill_grace = request.kill_grace;
  // The runner stops the unit at the timeout; this only ends a task that outlived its slothd.
  if (request.timeout > Duration::zero() && request.timeout < Duration::max() / 2)
    start.runtime_max = request.timeout + request.kill_grace + kRuntimeBackstop;
  start.report_fd = report_theirs.get();
  start.stdout_fd = out_write.get();
  start.stderr_fd = err_write.get();
  if (auto started = units_.Start(start); !started) return Failure{started.error().message};
  // Our copies of the unit's ends close here: the manager holds its own.
  const std::string memory_max = request.limits.memory_max ? FormatMemorySize(*request.limits.memory_max) : "";
  return std::unique_ptr<RunningTask>(std::make_unique<UnitTask>(units_, start.unit, std::move(watch).value(),
                                                                 std::move(out_read), std::move(err_read),
                                                                 std::move(report_ours), support_, memory_max));
}

bool UnitStarter::StopLeftover(std::string_view /*task_id*/, const RunningTaskRecord& record) {
  if (record.unit.empty()) return false;
  return units_.Stop(record.unit).ok();
}

}  // namespace sloth
