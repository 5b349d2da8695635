#include "daemon/launcher/launch_policy.h"

#include <fmt/format.h>

#include <algorithm>

namespace sloth {

Result<void> AuthorizeStart(const UnitStart& start, const TaskConfig& tasks) {
  const auto& allowed = tasks.allowed_users;
  if (start.user == tasks.user || std::find(allowed.begin(), allowed.end(), start.user) != allowed.end()) return {};
  return Failure{
      fmt::format("refused: user \"{}\" is neither [tasks] user nor in [tasks] allowed_users of the "
                  "launcher's configuration",
                  start.user)};
}

}  // namespace sloth
