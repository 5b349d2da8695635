#include "ctl/output.h"

#include <string.h>
#include <time.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/duration.h"
#include "ctl/dashboard/units.h"

namespace sloth::ctl {
namespace {

bool Finished(const v1::TaskResult& task) {
  return task.status() != v1::TASK_STATUS_QUEUED && task.status() != v1::TASK_STATUS_RUNNING;
}

std::string SignalName(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev ? std::string("SIG") + abbrev : fmt::format("signal {}", signal);
}

}  // namespace

std::string StatusName(v1::TaskStatus status) {
  switch (status) {
    case v1::TASK_STATUS_QUEUED: return "queued";
    case v1::TASK_STATUS_RUNNING: return "running";
    case v1::TASK_STATUS_SUCCESS: return "success";
    case v1::TASK_STATUS_FAILED: return "failed";
    case v1::TASK_STATUS_SKIPPED: return "skipped";
    default: return "unknown";
  }
}

std::optional<OutputFormat> ParseOutputFormat(std::string_view text) {
  if (text == "text") return OutputFormat::kText;
  if (text == "json") return OutputFormat::kJson;
  return std::nullopt;
}

std::string TaskStateName(const v1::TaskResult& task) {
  if (task.timed_out()) return "timeout";
  if (task.cancelled()) return "cancelled";
  return StatusName(task.status());
}

std::string ExitColumn(const v1::TaskResult& task) {
  if (!Finished(task)) return "-";
  if (task.signal() > 0) return SignalName(task.signal());
  if (task.exit_code() < 0) return "-";
  return std::to_string(task.exit_code());
}

std::string FormatSeconds(double seconds) {
  if (!(seconds > 0)) return "0s";
  if (seconds < 1) return fmt::format("{}ms", static_cast<int64_t>(std::llround(seconds * 1000)));
  if (seconds < 60) {
    const double tenths = std::round(seconds * 10) / 10;
    return tenths == std::floor(tenths) ? fmt::format("{}s", static_cast<int64_t>(tenths))
                                        : fmt::format("{:.1f}s", tenths);
  }
  return FormatDuration(std::chrono::seconds(std::llround(seconds)));
}

std::string Iso8601Utc(int64_t unix_ms) {
  if (unix_ms == 0) return "";
  const time_t seconds = static_cast<time_t>(unix_ms / 1000);
  struct tm tm {};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buffer, unix_ms % 1000);
}

std::string FormatLocalTime(int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  const time_t seconds = static_cast<time_t>(unix_ms / 1000);
  struct tm tm {};
  localtime_r(&seconds, &tm);
  char buffer[32];
  strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &tm);
  return buffer;
}

std::string RenderTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  };
  emit(header);
  for (const auto& row : rows) emit(row);
  return out;
}

std::string RenderTasksText(const v1::ListTasksResponse& tasks) {
  // A RUN column only when a workflow's task is listed.
  const bool runs = std::any_of(tasks.tasks().begin(), tasks.tasks().end(),
                                [](const v1::TaskResult& task) { return !task.run_id().empty(); });
  std::vector<std::vector<std::string>> rows;
  for (const auto& task : tasks.tasks()) {
    const bool measured = task.usage().measured();
    rows.push_back({task.id(), task.name(), task.group(), TaskStateName(task), ExitColumn(task),
                    FormatSeconds(task.duration_seconds()), measured ? FormatSeconds(task.usage().cpu_seconds()) : "-",
                    measured ? dashboard::FormatBytes(static_cast<double>(task.usage().memory_peak_bytes())) : "-",
                    FormatLocalTime(task.start_time_unix_ms())});
    if (runs) rows.back().push_back(task.run_id().empty() ? "-" : task.run_id());
  }
  std::vector<std::string> header = {"ID", "NAME", "GROUP", "STATUS", "EXIT", "DURATION", "CPU", "PEAK MEM", "STARTED"};
  if (runs) header.push_back("RUN");
  std::string out = RenderTable(header, rows);
  out += fmt::format("\n{} task{} listed.\n", rows.size(), rows.size() == 1 ? "" : "s");
  return out;
}

nlohmann::json TaskJson(const v1::TaskResult& task) {
  nlohmann::json out = {
      {"id", task.id()},
      {"name", task.name()},
      {"group", task.group()},
      {"command", task.command()},
      {"status", TaskStateName(task)},
      {"exit_code",
       Finished(task) && task.exit_code() >= 0 ? nlohmann::json(task.exit_code()) : nlohmann::json(nullptr)},
      {"signal", task.signal() > 0 ? nlohmann::json(task.signal()) : nlohmann::json(nullptr)},
      {"timed_out", task.timed_out()},
      {"cancelled", task.cancelled()},
      {"reason", task.reason()},
      {"duration_seconds", task.duration_seconds()},
      {"start_time_unix_ms", task.start_time_unix_ms()},
      {"end_time_unix_ms", task.end_time_unix_ms()},
      {"started", Iso8601Utc(task.start_time_unix_ms())},
      {"output_bytes", task.output_bytes()},
      {"output_truncated", task.output_truncated()},
      {"user", task.user()},
      {"unit", task.unit().empty() ? nlohmann::json(nullptr) : nlohmann::json(task.unit())},
      {"cpu_seconds", task.usage().measured() ? nlohmann::json(task.usage().cpu_seconds()) : nlohmann::json(nullptr)},
      {"memory_peak_bytes",
       task.usage().measured() ? nlohmann::json(task.usage().memory_peak_bytes()) : nlohmann::json(nullptr)},
      {"memory_peak_whole_task", task.usage().memory_peak_whole_task()},
      {"limits_not_enforced", task.limits_not_enforced()},
  };
  if (!task.kept_output().empty()) out["output"] = task.kept_output();
  if (!task.run_id().empty()) {
    out["workflow"] = task.workflow();
    out["run_id"] = task.run_id();
  }
  return out;
}

nlohmann::json TasksJson(const v1::ListTasksResponse& tasks) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& task : tasks.tasks()) list.push_back(TaskJson(task));
  return {{"tasks", list}};
}

std::string RenderInfoText(const v1::AgentInfo& info) {
  std::vector<std::pair<std::string, std::string>> lines = {
      {"Name", info.name()},
      {"Version", fmt::format("{} (commit {}, {})", info.version(), info.commit(), info.compiler())},
      {"Platform", fmt::format("{}/{}", info.os(), info.arch())},
      {"PID", std::to_string(info.pid())},
      {"Started", FormatLocalTime(info.start_time_unix_ms())},
      {"Uptime", FormatSeconds(info.uptime_seconds())},
      {"Master", info.master().empty() ? "none (standalone)" : info.master()},
      {"Metrics", info.metrics_url().empty() ? "off (telemetry disabled)" : info.metrics_url()},
      {"Control socket", info.control_socket()},
      {"Tasks running", std::to_string(info.tasks_running())},
  };
  if (!info.task_isolation().empty()) {
    lines.emplace_back("Tasks run",
                       info.task_isolation() == "unit"
                           ? fmt::format("as units sloth-task-<id>.service in sloth.slice, as {}", info.task_user())
                           : fmt::format("as the agent's own processes (process mode), as {}", info.task_user()));
    const std::pair<const char*, const std::string*> limits[] = {{"memory_max", &info.memory_max_not_enforced()},
                                                                 {"cpu_quota", &info.cpu_quota_not_enforced()},
                                                                 {"tasks_max", &info.tasks_max_not_enforced()}};
    for (const auto& [name, why] : limits) {
      lines.emplace_back(fmt::format("Limit {}", name), why->empty() ? "enforced" : "not enforced: " + *why);
    }
  }
  size_t width = 0;
  for (const auto& line : lines) width = std::max(width, line.first.size());
  std::string out;
  for (const auto& [key, value] : lines) {
    out += fmt::format("{:>{}}: {}\n", key, width, value);
  }
  return out;
}

nlohmann::json InfoJson(const v1::AgentInfo& info) {
  return {
      {"name", info.name()},
      {"version", info.version()},
      {"commit", info.commit()},
      {"compiler", info.compiler()},
      {"os", info.os()},
      {"arch", info.arch()},
      {"pid", info.pid()},
      {"start_time_unix_ms", info.start_time_unix_ms()},
      {"uptime_seconds", info.uptime_seconds()},
      {"master", info.master()},
      {"metrics_url", info.metrics_url()},
      {"control_socket", info.control_socket()},
      {"tasks_running", info.tasks_running()},
      {"task_isolation", info.task_isolation()},
      {"task_user", info.task_user()},
      {"limits_not_enforced",
       {{"memory_max", info.memory_max_not_enforced()},
        {"cpu_quota", info.cpu_quota_not_enforced()},
        {"tasks_max", info.tasks_max_not_enforced()}}},
  };
}

std::string RenderHealthText(const v1::Health& health) {
  if (health.healthy()) return "healthy\n";
  return "unhealthy: " + (health.reason().empty() ? std::string("no reason given") : health.reason()) + "\n";
}

nlohmann::json HealthJson(const v1::Health& health) {
  return {{"healthy", health.healthy()}, {"reason", health.reason()}};
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace sloth::ctl
