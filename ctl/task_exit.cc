#include "ctl/task_exit.h"

#include <string.h>

#include <cmath>

#include <fmt/format.h>

#include "ctl/errors.h"
#include "ctl/output.h"

namespace sloth::ctl {

int TaskExitCode(const v1::TaskResult& result) {
  if (result.timed_out()) return kExitTimeout;
  if (result.signal() > 0) return kExitSignalBase + result.signal();
  if (result.exit_code() >= 0) return result.exit_code() & 0xff;
  return result.status() == v1::TASK_STATUS_SUCCESS ? kExitOk : kExitFailure;
}

std::string TaskOutcomeMessage(const v1::TaskResult& result, Duration requested_timeout) {
  const std::string task = result.id().empty() ? std::string("task") : "task " + result.id();
  const std::string why = result.reason().empty() ? "" : " (" + result.reason() + ")";
  if (result.timed_out()) {
    const std::string limit = requested_timeout > Duration::zero() ? FormatDuration(requested_timeout)
                                                                   : FormatSeconds(result.duration_seconds());
    return fmt::format("{} timed out after {}", task, limit);
  }
  if (result.cancelled()) return fmt::format("{} was cancelled{}", task, why);
  if (result.signal() > 0) {
    const char* abbrev = sigabbrev_np(result.signal());
    return fmt::format("{} was killed by signal {}{}", task, result.signal(),
                       abbrev ? fmt::format(" (SIG{})", abbrev) : std::string());
  }
  if (result.exit_code() < 0 && result.status() != v1::TASK_STATUS_SUCCESS) {
    return fmt::format("{} did not run{}", task, result.reason().empty() ? "" : ": " + result.reason());
  }
  // An exit code the agent explains further (the OOM killer was at work, ...).
  if (result.status() == v1::TASK_STATUS_FAILED && !result.reason().empty() &&
      result.reason() != fmt::format("exit code {}", result.exit_code())) {
    return fmt::format("{} failed: {}", task, result.reason());
  }
  return "";
}

}  // namespace sloth::ctl
