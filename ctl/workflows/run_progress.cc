#include "ctl/workflows/run_progress.h"

#include <algorithm>

#include <fmt/format.h>

#include "ctl/dashboard/text_cells.h"
#include "ctl/output.h"
#include "ctl/workflows/run_list.h"

namespace sloth::ctl {
namespace {

using dashboard::FitToWidth;
using dashboard::PadRight;

// Failed tasks' output in the summary: its last lines, at most.
constexpr size_t kOutputLinesShown = 20;

bool Running(const v1::WorkflowTask& task) { return task.status() == v1::TASK_STATUS_RUNNING; }
bool Retrying(const v1::WorkflowTask& task) { return Running(task) && !task.reason().empty(); }

std::string Qualified(const v1::WorkflowTask& task) { return task.group() + "." + task.name(); }

std::string Icon(const std::string& state) {
  if (state == "success") return "✅";
  if (state == "failed") return "❌";
  if (state == "skipped") return "⏩";
  if (state == "running") return "⏳";
  if (state == "retrying") return "🔁";
  return "⏸️";
}

std::string Paint(const std::string& text, const std::string& state, const ProgressStyle& style) {
  if (!style.colour) return text;
  const char* sgr = state == "success"                          ? "32"
                    : state == "failed"                         ? "1;31"
                    : state == "running" || state == "retrying" ? "33"
                                                                : "2";
  return fmt::format("\x1b[{}m{}\x1b[0m", sgr, text);
}

// How long a task has run (live) or ran (done): its attempt's times, or nothing yet.
std::string Elapsed(const v1::WorkflowTask& task, int64_t now_unix_ms) {
  const v1::TaskResult& last = task.last();
  if (task.status() == v1::TASK_STATUS_RUNNING && last.start_time_unix_ms() > 0) {
    return FormatSeconds(static_cast<double>(std::max<int64_t>(now_unix_ms - last.start_time_unix_ms(), 0)) / 1000);
  }
  if (last.end_time_unix_ms() > 0) return FormatSeconds(last.duration_seconds());
  return "";
}

// The last `count` lines of `text`.
std::string LastLines(const std::string& text, size_t count) {
  size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n') --at;
  size_t lines = 0;
  while (at > 0) {
    if (text[at - 1] == '\n' && ++lines == count) break;
    --at;
  }
  return text.substr(at);
}

}  // namespace

std::string WorkflowTaskState(const v1::WorkflowTask& task) {
  return Retrying(task) ? "retrying" : StatusName(task.status());
}

void RunProgress::Apply(const v1::WorkflowEvent& event) {
  switch (event.event_case()) {
    case v1::WorkflowEvent::kStarted:
      run_ = event.started();
      started_ = true;
      break;
    case v1::WorkflowEvent::kTask:
      if (event.task().index() < static_cast<uint32_t>(run_.tasks_size())) {
        v1::WorkflowTask* task = run_.mutable_tasks(static_cast<int>(event.task().index()));
        auto depends_on = task->depends_on();  // changes do not repeat it
        *task = event.task();
        *task->mutable_depends_on() = std::move(depends_on);
      }
      break;
    case v1::WorkflowEvent::kGroup:
      if (event.group().index() < static_cast<uint32_t>(run_.groups_size())) {
        *run_.mutable_groups(static_cast<int>(event.group().index())) = event.group();
      }
      break;
    case v1::WorkflowEvent::kResult:
      run_ = event.result();
      started_ = finished_ = true;
      break;
    default: break;
  }
}

std::vector<std::string> RunProgress::LiveFrame(int64_t now_unix_ms, int cols, int rows,
                                                const ProgressStyle& style) const {
  size_t done = 0, running = 0, failed = 0, skipped = 0;
  size_t name_width = 0;
  for (const auto& task : run_.tasks()) {
    done += task.status() == v1::TASK_STATUS_SUCCESS ? 1 : 0;
    running += Running(task) ? 1 : 0;
    failed += task.status() == v1::TASK_STATUS_FAILED ? 1 : 0;
    skipped += task.status() == v1::TASK_STATUS_SKIPPED ? 1 : 0;
    name_width = std::max(name_width, Qualified(task).size());
  }
  const int64_t elapsed_ms = run_.start_time_unix_ms() > 0 ? now_unix_ms - run_.start_time_unix_ms() : 0;
  std::vector<std::string> lines;
  lines.push_back(
      FitToWidth(fmt::format("workflow {} · run {} · {}/{} succeeded, {} running, {} failed, {} skipped · {}",
                             run_.workflow(), run_.id(), done, run_.tasks_size(), running, failed, skipped,
                             FormatSeconds(static_cast<double>(std::max<int64_t>(elapsed_ms, 0)) / 1000)),
                 cols, style.emoji));
  // Past the screen: the tasks that need the eye (running, failed) first, the others counted.
  const size_t room = static_cast<size_t>(std::max(rows - 2, 1));
  std::vector<int> shown;
  for (int i = 0; i < run_.tasks_size(); ++i) shown.push_back(i);
  if (shown.size() > room) {
    std::stable_partition(shown.begin(), shown.end(), [&](int i) {
      return Running(run_.tasks(i)) || run_.tasks(i).status() == v1::TASK_STATUS_FAILED;
    });
    shown.resize(room);
    std::sort(shown.begin(), shown.end());
  }
  for (int i : shown) {
    const v1::WorkflowTask& task = run_.tasks(i);
    const std::string state = WorkflowTaskState(task);
    std::string line = style.emoji ? Icon(state) + " " : "";
    line += PadRight(Qualified(task), static_cast<int>(name_width), style.emoji) + "  ";
    line += Paint(PadRight(state, 8), state, style) + "  " + PadRight(Elapsed(task, now_unix_ms), 7);
    if (!task.reason().empty()) line += "  " + task.reason();
    while (!line.empty() && line.back() == ' ') line.pop_back();
    lines.push_back(FitToWidth(line, cols, style.emoji));
  }
  if (shown.size() < static_cast<size_t>(run_.tasks_size())) {
    lines.push_back(fmt::format("… {} more task(s) not shown", run_.tasks_size() - static_cast<int>(shown.size())));
  }
  return lines;
}

std::string RunProgress::Summary(const ProgressStyle& style) const {
  std::vector<std::vector<std::string>> rows;
  for (const auto& task : run_.tasks()) {
    const std::string state = WorkflowTaskState(task);
    rows.push_back({Qualified(task), state, std::to_string(task.attempts()),
                    task.last().end_time_unix_ms() > 0 ? FormatSeconds(task.last().duration_seconds()) : "-",
                    task.last().id().empty() ? "-" : ExitColumn(task.last()), task.reason()});
  }
  std::string tasks = RenderTable({"TASK", "STATUS", "ATTEMPTS", "DURATION", "EXIT", "REASON"}, rows);
  std::string out;
  for (size_t at = 0; at < tasks.size();) {  // no trailing blanks when the reason is empty
    size_t end = tasks.find('\n', at);
    std::string line = tasks.substr(at, end - at);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    at = end + 1;
  }
  std::vector<std::vector<std::string>> group_rows;
  for (const auto& group : run_.groups()) {
    group_rows.push_back({group.name(), StatusName(group.status()),
                          group.status() == v1::TASK_STATUS_SKIPPED ? "-" : FormatSeconds(group.duration_seconds())});
  }
  out += "\n" + RenderTable({"GROUP", "STATUS", "DURATION"}, group_rows);
  for (const auto& task : run_.tasks()) {
    if (task.status() != v1::TASK_STATUS_FAILED || task.last().kept_output().empty()) continue;
    out += fmt::format("\n--- output of {} ({}), last lines:\n", Qualified(task), task.last().id());
    std::string shown = LastLines(task.last().kept_output(), kOutputLinesShown);
    if (!shown.empty() && shown.back() != '\n') shown += '\n';
    out += shown;
  }
  const std::string status = StatusName(run_.status());
  std::string closing = fmt::format("workflow {} run {}: {}", run_.workflow(), run_.id(), status);
  if (!run_.reason().empty()) closing += " (" + run_.reason() + ")";
  closing += fmt::format(" in {}: {} succeeded, {} failed, {} skipped", FormatSeconds(run_.duration_seconds()),
                         run_.tasks_succeeded(), run_.tasks_failed(), run_.tasks_skipped());
  out += "\n" + (style.emoji ? Icon(status) + " " : "") + Paint(closing, status, style) + "\n";
  return out;
}

nlohmann::json RunProgress::Json() const {
  nlohmann::json tasks = nlohmann::json::array();
  for (const auto& task : run_.tasks()) {
    nlohmann::json depends = nlohmann::json::array();
    for (const auto& dep : task.depends_on()) depends.push_back(dep);
    tasks.push_back({{"group", task.group()},
                     {"task", task.name()},
                     {"depends_on", depends},
                     {"status", WorkflowTaskState(task)},
                     {"attempts", task.attempts()},
                     {"reason", task.reason()},
                     {"last_attempt", task.last().id().empty() ? nlohmann::json() : TaskJson(task.last())}});
  }
  nlohmann::json out = WorkflowRunJson(run_);
  out["tasks"] = tasks;
  return out;
}

std::string PlainProgressLine(const v1::WorkflowEvent& event) {
  switch (event.event_case()) {
    case v1::WorkflowEvent::kStarted:
      return fmt::format("workflow {} run {} started: {} tasks in {} groups", event.started().workflow(),
                         event.started().id(), event.started().tasks_size(), event.started().groups_size());
    case v1::WorkflowEvent::kTask: {
      const v1::WorkflowTask& task = event.task();
      const std::string state = WorkflowTaskState(task);
      if (state == "running") return fmt::format("{}: running ({})", Qualified(task), task.last().id());
      if (state == "retrying") return fmt::format("{}: {}", Qualified(task), task.reason());
      if (state == "skipped") return fmt::format("{}: skipped ({})", Qualified(task), task.reason());
      std::string line =
          fmt::format("{}: {} in {}", Qualified(task), state, FormatSeconds(task.last().duration_seconds()));
      if (!task.reason().empty()) line += " (" + task.reason() + ")";
      return line;
    }
    case v1::WorkflowEvent::kGroup: {
      const v1::WorkflowGroup& group = event.group();
      if (group.status() == v1::TASK_STATUS_RUNNING) return "";
      if (group.status() == v1::TASK_STATUS_SKIPPED) return fmt::format("group {}: skipped", group.name());
      return fmt::format("group {}: {} in {}", group.name(), StatusName(group.status()),
                         FormatSeconds(group.duration_seconds()));
    }
    default: return "";
  }
}

}  // namespace sloth::ctl
