#include "daemon/core/tasks/exec_report.h"

#include <charconv>

namespace sloth {
namespace {

std::optional<uint64_t> Number(std::string_view text) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

constexpr std::string_view kNoController = "the task's cgroup has no {} controller";

}  // namespace

std::optional<ExecReport> ParseExecReport(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.substr(0, kExecReportMagic.size()) != kExecReportMagic) return std::nullopt;
  line.remove_prefix(kExecReportMagic.size());
  ExecReport report;
  bool ended = false;
  while (!line.empty()) {
    const size_t space = line.find(' ');
    const std::string_view field = line.substr(0, space);
    line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    const size_t equals = field.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view key = field.substr(0, equals);
    const std::string_view text = field.substr(equals + 1);
    if (key == "cpu_from" || key == "mem_from") {
      (key == "cpu_from" ? report.cpu_whole_task : report.usage.memory_peak_whole_task) = text == "cgroup";
      continue;
    }
    const std::optional<uint64_t> value = Number(text);
    if (!value) continue;
    if (key == "exit" && *value <= 255) {
      report.exit_code = static_cast<int>(*value);
      ended = true;
    } else if (key == "signal" && *value > 0 && *value < 65) {
      report.signal = static_cast<int>(*value);
      ended = true;
    } else if (key == "spawn_errno" && *value > 0 && *value < 4096) {
      report.spawn_errno = static_cast<int>(*value);
      ended = true;
    } else if (key == "cpu_usec") {
      report.usage.cpu_seconds = static_cast<double>(*value) / 1e6;
    } else if (key == "mem_peak") {
      report.usage.memory_peak_bytes = *value;
    } else if (key == "oom_kills") {
      report.usage.oom_kills = *value;
    } else if (key == "memory") {
      report.memory_controller = *value != 0;
    } else if (key == "cpu") {
      report.cpu_controller = *value != 0;
    } else if (key == "pids") {
      report.pids_controller = *value != 0;
    }
  }
  if (!ended) return std::nullopt;
  report.usage.measured = report.spawn_errno == 0;
  return report;
}

LimitSupport SupportFromReport(const ExecReport& report) {
  LimitSupport support;
  auto why = [](std::string_view controller) {
    std::string text(kNoController);
    text.replace(text.find("{}"), 2, controller);
    return text;
  };
  if (!report.memory_controller) support.memory = why("memory");
  if (!report.cpu_controller) support.cpu = why("cpu");
  if (!report.pids_controller) support.tasks = why("pids");
  return support;
}

}  // namespace sloth
