#include "ctl/workflows/plan_text.h"

#include <algorithm>

#include <fmt/format.h>

namespace sloth::ctl {
namespace {

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// "timeout 10m, 2 retries 5s apart, in /srv, env CC"
std::string Bounds(const WorkflowTask& task) {
  std::vector<std::string> parts;
  if (task.spec.timeout) parts.push_back("timeout " + FormatDuration(*task.spec.timeout));
  if (task.retries > 0) {
    parts.push_back(fmt::format(
        "{} {}{}", task.retries, task.retries == 1 ? "retry" : "retries",
        task.retry_delay > Duration::zero() ? " " + FormatDuration(task.retry_delay) + " apart" : std::string()));
  }
  if (!task.spec.workdir.empty()) parts.push_back("in " + task.spec.workdir);
  if (!task.spec.env.empty()) {
    std::string names;
    for (const auto& [name, value] : task.spec.env) names += (names.empty() ? "" : " ") + name;
    parts.push_back("env " + names);
  }
  if (!task.when.empty()) parts.push_back("when " + task.when);
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

// The command on one line: its first line, and how many more there are.
std::string OneLine(std::string_view command) {
  while (!command.empty() && (command.back() == '\n' || command.back() == ' ')) command.remove_suffix(1);
  const size_t newline = command.find('\n');
  if (newline == std::string_view::npos) return std::string(command);
  const auto more = 1 + std::count(command.begin() + static_cast<long>(newline) + 1, command.end(), '\n');
  return fmt::format("{} (+{} line{})", command.substr(0, newline), more, more == 1 ? "" : "s");
}

nlohmann::json TaskJson(const Workflow& workflow, size_t t) {
  const WorkflowTask& task = workflow.tasks[t];
  nlohmann::json depends = nlohmann::json::array();
  for (size_t dep : task.depends_on) depends.push_back(workflow.QualifiedName(dep));
  nlohmann::json env = nlohmann::json::object();
  for (const auto& [name, value] : task.spec.env) env[name] = value;
  return {{"group", task.spec.group},
          {"task", task.spec.name},
          {"command", task.spec.command},
          {"depends_on", depends},
          {"workdir", task.spec.workdir},
          {"env", env},
          {"timeout_seconds", task.spec.timeout ? nlohmann::json(Seconds(*task.spec.timeout)) : nlohmann::json()},
          {"retries", task.retries},
          {"retry_delay_seconds", Seconds(task.retry_delay)},
          {"when", task.when},
          {"runs", task.condition_holds}};
}

}  // namespace

std::string RenderPlanText(const Workflow& workflow, const WorkflowPlan& plan) {
  std::string out =
      fmt::format("workflow {} ({}): {} task{} in {} group{}, {} stage{}\n", workflow.name, workflow.source,
                  workflow.tasks.size(), workflow.tasks.size() == 1 ? "" : "s", workflow.groups.size(),
                  workflow.groups.size() == 1 ? "" : "s", plan.stages.size(), plan.stages.size() == 1 ? "" : "s");
  // One set of columns for every stage, so the plan reads as one table.
  size_t name_width = 0, command_width = 0;
  for (const auto& stage : plan.stages) {
    for (size_t t : stage) {
      name_width = std::max(name_width, workflow.QualifiedName(t).size());
      command_width = std::max(command_width, OneLine(workflow.tasks[t].spec.command).size());
    }
  }
  for (size_t s = 0; s < plan.stages.size(); ++s) {
    out += fmt::format("\nstage {}{}\n", s + 1, plan.stages[s].size() > 1 ? " (these may run in parallel)" : "");
    for (size_t t : plan.stages[s]) {
      const std::string bounds = Bounds(workflow.tasks[t]);
      std::string line = fmt::format("  {:<{}}  {:<{}}  {}", workflow.QualifiedName(t), name_width,
                                     OneLine(workflow.tasks[t].spec.command), command_width, bounds);
      while (line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
  }
  if (!plan.skipped.empty()) {
    out += "\nskipped (when is false)\n";
    for (size_t t : plan.skipped)
      out += fmt::format("  {}  when {}\n", workflow.QualifiedName(t), workflow.tasks[t].when);
  }
  std::string limits;
  for (const WorkflowGroup& group : workflow.groups) {
    if (group.parallel) limits += fmt::format("  group {}: at most {} task(s) at once\n", group.name, *group.parallel);
  }
  out += "\nlimits\n" + limits + "  every run: at most the agent's [workflows] max_parallel tasks at once\n";
  return out;
}

nlohmann::json PlanJson(const Workflow& workflow, const WorkflowPlan& plan) {
  nlohmann::json stages = nlohmann::json::array();
  for (const auto& stage : plan.stages) {
    nlohmann::json tasks = nlohmann::json::array();
    for (size_t t : stage) tasks.push_back(TaskJson(workflow, t));
    stages.push_back(tasks);
  }
  nlohmann::json skipped = nlohmann::json::array();
  for (size_t t : plan.skipped) skipped.push_back(TaskJson(workflow, t));
  nlohmann::json groups = nlohmann::json::array();
  for (const WorkflowGroup& group : workflow.groups) {
    nlohmann::json depends = nlohmann::json::array();
    for (size_t g : group.depends_on) depends.push_back(workflow.groups[g].name);
    groups.push_back({{"name", group.name},
                      {"parallel", group.parallel ? nlohmann::json(*group.parallel) : nlohmann::json()},
                      {"depends_on", depends}});
  }
  return {{"workflow", workflow.name},
          {"source", workflow.source},
          {"groups", groups},
          {"stages", stages},
          {"skipped", skipped}};
}

}  // namespace sloth::ctl
