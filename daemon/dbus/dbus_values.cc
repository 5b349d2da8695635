#include "daemon/dbus/dbus_values.h"

#include <fmt/format.h>

#include <vector>

#include "common/duration.h"

namespace sloth {

std::string ValidUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len != 0 && i + len <= in.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(in[i + k]) >> 6) == 0x2;
    if (ok && len > 1) {
      uint32_t cp = c & (0xFF >> (len + 1));
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(in[i + k]) & 0x3F);
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (ok && c == 0) ok = false;  // NUL cannot travel in a D-Bus string either
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

namespace {

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

std::map<std::string, sdbus::Variant> ToDbus(const AgentInfo& info) {
  std::map<std::string, sdbus::Variant> out;
  out["name"] = ValidUtf8(info.identity.name);
  out["version"] = ValidUtf8(info.identity.version);
  out["commit"] = ValidUtf8(info.identity.commit);
  out["compiler"] = ValidUtf8(info.identity.compiler);
  out["os"] = ValidUtf8(info.identity.os);
  out["arch"] = ValidUtf8(info.identity.arch);
  out["pid"] = static_cast<int32_t>(info.pid);
  out["start_time_unix_ms"] = UnixMillis(info.start_time);
  out["uptime_seconds"] = info.uptime_seconds;
  out["master"] = ValidUtf8(info.master);
  out["metrics_url"] = ValidUtf8(info.metrics_url);
  out["control_socket"] = ValidUtf8(info.control_socket);
  out["tasks_running"] = info.tasks_running;
  out["task_isolation"] = ValidUtf8(info.task_isolation);
  out["task_user"] = ValidUtf8(info.task_user);
  out["memory_max_not_enforced"] = ValidUtf8(info.task_limits.memory);
  out["cpu_quota_not_enforced"] = ValidUtf8(info.task_limits.cpu);
  out["tasks_max_not_enforced"] = ValidUtf8(info.task_limits.tasks);
  return out;
}

std::map<std::string, sdbus::Variant> ToDbus(const TaskResult& r) {
  std::map<std::string, sdbus::Variant> out = ToDbusWithoutOutput(r);
  out["output"] = std::vector<uint8_t>(r.kept_output.begin(), r.kept_output.end());
  return out;
}

std::map<std::string, sdbus::Variant> ToDbusWithoutOutput(const TaskResult& r) {
  std::map<std::string, sdbus::Variant> out;
  out["id"] = ValidUtf8(r.id);
  out["name"] = ValidUtf8(r.name);
  out["group"] = ValidUtf8(r.group);
  out["command"] = ValidUtf8(r.command);
  out["status"] = std::string(TaskStatusName(r.status));
  out["exit_code"] = static_cast<int32_t>(r.exit_code);
  out["signal"] = static_cast<int32_t>(r.signal);
  out["timed_out"] = r.timed_out;
  out["cancelled"] = r.cancelled;
  out["reason"] = ValidUtf8(r.reason);
  out["duration_seconds"] = Seconds(r.duration);
  out["start_time_unix_ms"] = UnixMillis(r.start_time);
  out["end_time_unix_ms"] = UnixMillis(r.end_time);
  out["output_truncated"] = r.output_truncated;
  out["output_bytes"] = static_cast<uint64_t>(r.output_bytes);
  out["user"] = ValidUtf8(r.user);
  out["unit"] = ValidUtf8(r.unit);
  out["usage_measured"] = r.usage.measured;
  out["cpu_seconds"] = r.usage.cpu_seconds;
  out["memory_peak_bytes"] = r.usage.memory_peak_bytes;
  out["memory_peak_whole_task"] = r.usage.memory_peak_whole_task;
  out["limits_not_enforced"] = ValidUtf8(r.limits_not_enforced);
  out["workflow"] = ValidUtf8(r.workflow);
  out["run_id"] = ValidUtf8(r.run_id);
  return out;
}

TaskRow ToRow(const TaskResult& r) {
  return TaskRow{ValidUtf8(r.id),     ValidUtf8(r.name),
                 ValidUtf8(r.group),  std::string(TaskStatusName(r.status)),
                 ValidUtf8(r.reason), static_cast<int32_t>(r.exit_code),
                 Seconds(r.duration), UnixMillis(r.start_time)};
}

Result<TaskSpec> TaskSpecFromOptions(TaskSpec spec, const std::map<std::string, sdbus::Variant>& options) {
  std::string memory_max, cpu_quota, tasks_max;
  const std::map<std::string_view, std::string*> known = {
      {"user", &spec.user}, {"memory_max", &memory_max}, {"cpu_quota", &cpu_quota}, {"tasks_max", &tasks_max}};
  for (const auto& [key, value] : options) {
    auto field = known.find(key);
    if (field == known.end()) {
      return Failure{fmt::format("unknown option \"{}\" (allowed: user, memory_max, cpu_quota, tasks_max)", key)};
    }
    if (value.peekValueType() != "s") return Failure{fmt::format("option \"{}\" must be a string (s)", key)};
    *field->second = value.get<std::string>();
  }
  auto limits = RequestLimits(memory_max, cpu_quota, tasks_max);
  if (!limits) return limits.error();
  spec.limits = *limits;
  return spec;
}

bool IsFinished(TaskStatus s) {
  return s == TaskStatus::kSuccess || s == TaskStatus::kFailed || s == TaskStatus::kSkipped;
}

std::map<std::string, sdbus::Variant> ToDbus(const WorkflowRunResult& run) {
  std::map<std::string, sdbus::Variant> out;
  out["id"] = ValidUtf8(run.id);
  out["workflow"] = ValidUtf8(run.workflow);
  out["source"] = ValidUtf8(run.source);
  out["status"] = std::string(TaskStatusName(run.status));
  out["cancelled"] = run.cancelled;
  out["reason"] = ValidUtf8(run.reason);
  out["start_time_unix_ms"] = UnixMillis(run.start_time);
  out["end_time_unix_ms"] = UnixMillis(run.end_time);
  out["duration_seconds"] = Seconds(run.duration);
  out["tasks_queued"] = run.counts.queued;
  out["tasks_running"] = run.counts.running;
  out["tasks_succeeded"] = run.counts.success;
  out["tasks_failed"] = run.counts.failed;
  out["tasks_skipped"] = run.counts.skipped;
  std::vector<std::map<std::string, sdbus::Variant>> groups;
  for (const WorkflowRunGroup& group : run.groups) {
    groups.push_back({{"name", ValidUtf8(group.name)},
                      {"status", std::string(TaskStatusName(group.status))},
                      {"duration_seconds", Seconds(group.duration)}});
  }
  out["groups"] = groups;
  if (run.tasks.empty()) return out;
  std::vector<std::map<std::string, sdbus::Variant>> tasks;
  for (const WorkflowRunTask& task : run.tasks) {
    std::vector<std::string> depends_on;
    for (const std::string& dep : task.depends_on) depends_on.push_back(ValidUtf8(dep));
    std::map<std::string, sdbus::Variant> entry = {
        {"group", ValidUtf8(task.group)}, {"name", ValidUtf8(task.name)},
        {"depends_on", depends_on},       {"status", std::string(TaskStatusName(task.status))},
        {"attempts", task.attempts},      {"reason", ValidUtf8(task.reason)}};
    if (!task.last.id.empty()) entry["task"] = ToDbus(task.last);
    tasks.push_back(std::move(entry));
  }
  out["tasks"] = tasks;
  return out;
}

}  // namespace sloth
