#include "ctl/workflows/run_list.h"

#include <fmt/format.h>

#include "ctl/output.h"

namespace sloth::ctl {
namespace {

// "3 ok, 1 failed, 2 skipped, 1 running, 4 queued": the counts that are not zero.
std::string Counts(const v1::WorkflowRun& run) {
  std::string out;
  auto add = [&out](uint32_t count, const char* what) {
    if (count > 0) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", count, what);
  };
  add(run.tasks_succeeded(), "ok");
  add(run.tasks_failed(), "failed");
  add(run.tasks_skipped(), "skipped");
  add(run.tasks_running(), "running");
  add(run.tasks_queued(), "queued");
  return out.empty() ? "-" : out;
}

}  // namespace

std::string RenderWorkflowRunsText(const v1::ListTasksResponse& tasks) {
  if (tasks.workflow_runs().empty()) return "";
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : tasks.workflow_runs()) {
    std::string groups;
    for (const auto& group : run.groups())
      groups += (groups.empty() ? "" : " ") + group.name() + ":" + StatusName(group.status());
    std::string status = StatusName(run.status());
    if (run.cancelled()) status += " (cancelled)";
    rows.push_back({run.id(), run.workflow(), status, Counts(run), groups, FormatLocalTime(run.start_time_unix_ms()),
                    FormatSeconds(run.duration_seconds())});
  }
  return "\n" + RenderTable({"RUN", "WORKFLOW", "STATUS", "TASKS", "GROUPS", "STARTED", "DURATION"}, rows) +
         fmt::format("\n{} workflow run{} listed.\n", rows.size(), rows.size() == 1 ? "" : "s");
}

nlohmann::json WorkflowRunJson(const v1::WorkflowRun& run) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& group : run.groups()) {
    groups.push_back({{"name", group.name()},
                      {"status", StatusName(group.status())},
                      {"duration_seconds", group.duration_seconds()}});
  }
  return {{"id", run.id()},
          {"workflow", run.workflow()},
          {"source", run.source()},
          {"status", StatusName(run.status())},
          {"cancelled", run.cancelled()},
          {"reason", run.reason()},
          {"start_time_unix_ms", run.start_time_unix_ms()},
          {"end_time_unix_ms", run.end_time_unix_ms()},
          {"duration_seconds", run.duration_seconds()},
          {"counts",
           {{"succeeded", run.tasks_succeeded()},
            {"failed", run.tasks_failed()},
            {"skipped", run.tasks_skipped()},
            {"running", run.tasks_running()},
            {"queued", run.tasks_queued()}}},
          {"groups", groups}};
}

nlohmann::json WorkflowRunsJson(const v1::ListTasksResponse& tasks) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& run : tasks.workflow_runs()) runs.push_back(WorkflowRunJson(run));
  return runs;
}

}  // namespace sloth::ctl
