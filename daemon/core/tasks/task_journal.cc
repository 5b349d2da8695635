#include "daemon/core/tasks/task_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sloth {
namespace {

using Json = nlohmann::json;

int64_t UnixMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point FromUnixMs(int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

Json ToJson(const TaskResult& r) {
  return Json{{"id", r.id},
              {"name", r.name},
              {"group", r.group},
              {"command", r.command},
              {"workflow", r.workflow},
              {"run_id", r.run_id},
              {"status", TaskStatusName(r.status)},
              {"exit_code", r.exit_code},
              {"signal", r.signal},
              {"timed_out", r.timed_out},
              {"cancelled", r.cancelled},
              {"reason", r.reason},
              {"duration_s", std::chrono::duration<double>(r.duration).count()},
              {"start_ms", UnixMs(r.start_time)},
              {"end_ms", UnixMs(r.end_time)},
              {"output_truncated", r.output_truncated},
              {"output_bytes", r.output_bytes},
              {"user", r.user},
              {"unit", r.unit},
              {"usage",
               {{"measured", r.usage.measured},
                {"cpu_s", r.usage.cpu_seconds},
                {"memory_peak", r.usage.memory_peak_bytes},
                {"whole_task", r.usage.memory_peak_whole_task}}},
              {"limits_not_enforced", r.limits_not_enforced}};
}

TaskStatus StatusFromName(const std::string& name) {
  for (TaskStatus s :
       {TaskStatus::kQueued, TaskStatus::kRunning, TaskStatus::kSuccess, TaskStatus::kFailed, TaskStatus::kSkipped}) {
    if (TaskStatusName(s) == name) return s;
  }
  return TaskStatus::kFailed;
}

TaskResult FromJson(const Json& j) {
  TaskResult r;
  r.id = j.value("id", "");
  r.name = j.value("name", "");
  r.group = j.value("group", "");
  r.command = j.value("command", "");
  r.workflow = j.value("workflow", "");
  r.run_id = j.value("run_id", "");
  r.status = StatusFromName(j.value("status", "failed"));
  r.exit_code = j.value("exit_code", -1);
  r.signal = j.value("signal", 0);
  r.timed_out = j.value("timed_out", false);
  r.cancelled = j.value("cancelled", false);
  r.reason = j.value("reason", "");
  r.duration = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(j.value("duration_s", 0.0)));
  r.start_time = FromUnixMs(j.value("start_ms", int64_t{0}));
  r.end_time = FromUnixMs(j.value("end_ms", int64_t{0}));
  r.output_truncated = j.value("output_truncated", false);
  r.output_bytes = j.value("output_bytes", uint64_t{0});
  r.user = j.value("user", "");
  r.unit = j.value("unit", "");
  if (const auto usage = j.find("usage"); usage != j.end() && usage->is_object()) {
    r.usage.measured = usage->value("measured", false);
    r.usage.cpu_seconds = usage->value("cpu_s", 0.0);
    r.usage.memory_peak_bytes = usage->value("memory_peak", uint64_t{0});
    r.usage.memory_peak_whole_task = usage->value("whole_task", false);
  }
  r.limits_not_enforced = j.value("limits_not_enforced", "");
  return r;
}

// The sequence number of "t-000042-9f3c" (0 if it has none).
uint64_t SequenceOf(const std::string& id) {
  uint64_t n = 0;
  if (id.size() < 3 || !id.starts_with("t-")) return 0;
  const char* begin = id.data() + 2;
  const char* end = id.data() + id.size();
  std::from_chars(begin, end, n);
  return n;
}

}  // namespace

TaskJournal::TaskJournal(const std::string& state_dir, size_t history, Logger& logger)
    : path_(state_dir + "/tasks.journal"), history_(history), logger_(logger) {
  Read();
  std::lock_guard lock(mutex_);
  CompactLocked();  // starts from what it must hold
}

void TaskJournal::Read() {
  std::ifstream in(path_);
  if (!in) return;
  std::map<std::string, UnfinishedTask> started;
  std::vector<std::string> order;
  std::deque<TaskResult> finished;
  for (std::string line; std::getline(in, line);) {
    const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) continue;  // a torn last line, or not ours
    if (const auto s = j.find("started"); s != j.end() && s->is_object()) {
      UnfinishedTask u;
      u.task = FromJson(*s);
      u.task.status = TaskStatus::kRunning;
      u.record.pid = s->value("pid", 0);
      u.record.start_ticks = s->value("start_ticks", uint64_t{0});
      u.record.unit = u.task.unit;
      last_sequence_ = std::max(last_sequence_, SequenceOf(u.task.id));
      if (!started.contains(u.task.id)) order.push_back(u.task.id);
      running_lines_[u.task.id] = line + "\n";  // kept by a compaction until it is recorded finished
      started[u.task.id] = std::move(u);
    } else if (const auto f = j.find("finished"); f != j.end() && f->is_object()) {
      TaskResult r = FromJson(*f);
      last_sequence_ = std::max(last_sequence_, SequenceOf(r.id));
      started.erase(r.id);
      running_lines_.erase(r.id);
      finished.push_back(std::move(r));
      if (finished.size() > history_) finished.pop_front();
    }
  }
  finished_.assign(finished.begin(), finished.end());
  for (const std::string& id : order) {
    if (auto it = started.find(id); it != started.end()) unfinished_.push_back(std::move(it->second));
  }
}

void TaskJournal::Started(const TaskResult& task, const RunningTaskRecord& record) {
  Json s = ToJson(task);
  s["pid"] = record.pid;
  s["start_ticks"] = record.start_ticks;
  std::string line = Json{{"started", std::move(s)}}.dump() + "\n";
  std::lock_guard lock(mutex_);
  running_lines_[task.id] = line;
  Append(line);
}

void TaskJournal::Finished(const TaskResult& result) {
  std::string line = Json{{"finished", ToJson(result)}}.dump() + "\n";
  std::lock_guard lock(mutex_);
  running_lines_.erase(result.id);
  if (history_ > 0) {
    finished_lines_.push_back(line);
    if (finished_lines_.size() > history_) finished_lines_.pop_front();
  }
  Append(line);
  if (lines_ > 2 * (history_ + running_lines_.size()) + 64) CompactLocked();
}

void TaskJournal::Append(const std::string& line) {
  ++lines_;
  // Opened per line, not held: a descriptor open for writing would keep the state directory's file
  // system from being remounted read-only (EBUSY), and a journal that could not be written while
  // the directory was full or read-only is written again once it is not.
  UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  const ssize_t n = fd ? ::write(fd.get(), line.data(), line.size()) : -1;
  if (n != static_cast<ssize_t>(line.size())) {
    FailedLocked(fmt::format("cannot write to {}: {}", path_,
                             n < 0 ? std::generic_category().message(errno) : std::string("short write")));
  }
}

void TaskJournal::CompactLocked() {
  if (finished_lines_.empty() && !finished_.empty()) {  // the first time: from what was read
    for (const TaskResult& r : finished_) finished_lines_.push_back(Json{{"finished", ToJson(r)}}.dump() + "\n");
  }
  const std::string temporary = path_ + ".new";
  UniqueFd out(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out) {
    FailedLocked(fmt::format("cannot write {}: {}", temporary, std::generic_category().message(errno)));
    return;
  }
  std::string text;
  for (const std::string& line : finished_lines_) text += line;
  for (const auto& [id, line] : running_lines_) text += line;
  bool ok = ::write(out.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ok && ::fsync(out.get()) == 0;  // the rename must not replace the journal with an empty file
  const int error = errno;
  out.reset();
  if (!ok || ::rename(temporary.c_str(), path_.c_str()) != 0) {
    FailedLocked(fmt::format("cannot rewrite {}: {}", path_, std::generic_category().message(ok ? errno : error)));
    ::unlink(temporary.c_str());
    return;
  }
  lines_ = finished_lines_.size() + running_lines_.size();
}

void TaskJournal::FailedLocked(const std::string& what) {
  if (std::exchange(warned_, true)) return;
  logger_.Warning(
      fmt::format("task journal: {}; tasks run on, but a restart will not remember them (this is said "
                  "once)",
                  what));
}

}  // namespace sloth
