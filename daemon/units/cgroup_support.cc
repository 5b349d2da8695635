#include "daemon/units/cgroup_support.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace sloth {
namespace {

std::string ReadFile(const std::string& path, bool* found = nullptr) {
  std::ifstream file(path);
  if (found != nullptr) *found = static_cast<bool>(file);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

bool HasWord(const std::string& text, std::string_view word) {
  std::istringstream words(text);
  for (std::string w; words >> w;) {
    if (w == word) return true;
  }
  return false;
}

// In /proc/self/cgroup ("ID:CONTROLLERS:PATH" lines), whether a v1 hierarchy holding
// `controller` places us in a cgroup below its root.
bool OwnV1Cgroup(const std::string& self_cgroup, std::string_view controller) {
  std::istringstream lines(self_cgroup);
  for (std::string line; std::getline(lines, line);) {
    const size_t first = line.find(':');
    const size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::istringstream list(line.substr(first + 1, second - first - 1));
    for (std::string name; std::getline(list, name, ',');) {
      if (name == controller) return line.size() > second + 2;  // a path longer than "/"
    }
  }
  return false;
}

}  // namespace

LimitSupport CgroupLimitSupport(const std::string& cgroup_root, const std::string& self_cgroup) {
  LimitSupport support;
  bool unified = false;
  const std::string controllers = ReadFile(cgroup_root + "/cgroup.controllers", &unified);
  const struct {
    std::string_view controller;
    std::string* why;
  } wanted[] = {{"memory", &support.memory}, {"cpu", &support.cpu}, {"pids", &support.tasks}};
  for (const auto& [controller, why] : wanted) {
    if (unified) {
      if (!HasWord(controllers, controller)) {
        *why = fmt::format("no {} controller for task units (cgroup v2 without it: {}/cgroup.controllers)", controller,
                           cgroup_root);
      }
    } else if (!OwnV1Cgroup(self_cgroup, controller)) {
      *why = fmt::format("no {} controller for task units (cgroup v1 {} hierarchy not available to systemd)",
                         controller, controller);
    }
  }
  return support;
}

LimitSupport CgroupLimitSupport() { return CgroupLimitSupport("/sys/fs/cgroup", ReadFile("/proc/self/cgroup")); }

}  // namespace sloth
