#include "daemon/core/tasks/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "common/unique_fd.h"

namespace sloth {
namespace {

// The whole of a small /proc file ("" if it cannot be read).
std::string ReadProcFile(const std::string& path, size_t limit = size_t{64} * 1024) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  std::string out;
  char buffer[4096];
  while (out.size() < limit) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

template <class T>
bool ParseNumber(std::string_view text, T* value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

// The numbers of a space-separated list ("12 345 ").
std::vector<pid_t> ParsePids(std::string_view text) {
  std::vector<pid_t> pids;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    const std::string_view word = text.substr(0, space);
    pid_t pid = 0;
    if (!word.empty() && ParseNumber(word, &pid)) pids.push_back(pid);
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return pids;
}

}  // namespace

// Field 50 (env_start), counted from field 3 as below; since Linux 3.5.
constexpr size_t kEnvStartField = 50 - 3;

std::optional<ProcessStat> ReadProcessStat(pid_t pid) {
  const std::string text = ReadProcFile(fmt::format("/proc/{}/stat", pid));
  // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses, so the fields
  // are counted from the last ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size()) return std::nullopt;
  std::vector<std::string_view> fields;  // from field 3 (state) on
  std::string_view rest = std::string_view(text).substr(close + 2);
  while (!rest.empty() && fields.size() < kEnvStartField + 1) {
    const size_t space = rest.find(' ');
    fields.push_back(rest.substr(0, space));
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  if (fields.size() < 20) return std::nullopt;
  ProcessStat stat;
  stat.pid = pid;
  stat.state = fields[0].empty() ? '?' : fields[0][0];
  unsigned flags = 0;
  if (!ParseNumber(fields[1], &stat.ppid) || !ParseNumber(fields[2], &stat.pgid) || !ParseNumber(fields[6], &flags) ||
      !ParseNumber(fields[19], &stat.start_ticks)) {
    return std::nullopt;
  }
  constexpr unsigned kPfExiting = 0x4;  // include/linux/sched.h
  stat.exiting = (flags & kPfExiting) != 0;
  if (fields.size() > kEnvStartField) ParseNumber(fields[kEnvStartField], &stat.env_start);
  return stat;
}

std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> children;
  const std::string tasks = fmt::format("/proc/{}/task", pid);
  DIR* dir = ::opendir(tasks.c_str());
  if (dir == nullptr) return children;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const auto some = ParsePids(ReadProcFile(fmt::format("{}/{}/children", tasks, entry->d_name)));
    children.insert(children.end(), some.begin(), some.end());
  }
  ::closedir(dir);
  return children;
}

std::vector<pid_t> ChildrenOfThread(pid_t pid, pid_t tid) {
  return ParsePids(ReadProcFile(fmt::format("/proc/{}/task/{}/children", pid, tid)));
}

std::vector<pid_t> DescendantsOf(pid_t pid) {
  std::vector<pid_t> out = ChildrenOf(pid);
  // Bounded: pid_max processes at most, each listed by one parent.
  for (size_t i = 0; i < out.size() && out.size() < 4'194'304; ++i) {
    const auto children = ChildrenOf(out[i]);
    out.insert(out.end(), children.begin(), children.end());
  }
  return out;
}

std::string TaskIdOf(pid_t pid) {
  const std::string environ = ReadProcFile(fmt::format("/proc/{}/environ", pid), size_t{1024} * 1024);
  const std::string prefix = std::string(kTaskIdVariable) + "=";
  size_t start = 0;
  while (start < environ.size()) {
    size_t end = environ.find('\0', start);
    if (end == std::string::npos) end = environ.size();
    const std::string_view entry(environ.data() + start, end - start);
    if (entry.starts_with(prefix)) return std::string(entry.substr(prefix.size()));
    start = end + 1;
  }
  return {};
}

std::vector<pid_t> AllProcesses() {
  std::vector<pid_t> pids;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return pids;
  while (const dirent* entry = ::readdir(dir)) {
    pid_t pid = 0;
    if (ParseNumber(std::string_view(entry->d_name), &pid) && pid > 0) pids.push_back(pid);
  }
  ::closedir(dir);
  return pids;
}

}  // namespace sloth
