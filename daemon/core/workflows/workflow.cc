#include "daemon/core/workflows/workflow.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "daemon/core/workflows/condition.h"
#include "daemon/core/workflows/dependency_graph.h"
#include "daemon/core/workflows/placeholders.h"

namespace sloth {
namespace {

struct Edge {
  size_t to;
  SourcePosition at;  // the depends_on entry that makes it
};

std::string Listed(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none" : out;
}

// Resolves one WorkflowFile: names to indices, cycles, selection, then substitution.
class Resolver {
 public:
  Resolver(const WorkflowFile& file, const Values& values) : file_(file), values_(values) {
    for (size_t g = 0; g < file.groups.size(); ++g) {
      group_index_.emplace(file.groups[g].name.value, g);
      for (size_t t = 0; t < file.groups[g].tasks.size(); ++t) {
        task_index_.emplace(file.groups[g].name.value + "." + file.groups[g].tasks[t].name.value, flat_.size());
        flat_.push_back({g, t});
      }
    }
  }

  Result<Workflow, WorkflowError> Run(const std::vector<std::string>& selected) {
    if (auto r = ResolveGroupEdges(); !r) return r.error();
    if (auto r = ResolveTaskEdges(); !r) return r.error();
    if (auto r = CheckCycles(); !r) return r.error();
    auto keep = Selection(selected);
    if (!keep) return keep.error();
    return Build(*keep);
  }

 private:
  const FileGroup& GroupOf(size_t flat) const { return file_.groups[flat_[flat].first]; }
  const FileTask& TaskAt(size_t flat) const { return GroupOf(flat).tasks[flat_[flat].second]; }
  std::string Qualified(size_t flat) const { return GroupOf(flat).name.value + "." + TaskAt(flat).name.value; }
  std::string TaskPath(size_t flat) const {
    return fmt::format("groups.{}.tasks.{}", GroupOf(flat).name.value, TaskAt(flat).name.value);
  }
  WorkflowError Error(SourcePosition at, std::string message) const { return {file_.source, at, std::move(message)}; }

  std::vector<std::string> GroupNames() const {
    std::vector<std::string> names;
    for (const auto& g : file_.groups) names.push_back(g.name.value);
    return names;
  }

  Result<void, WorkflowError> ResolveGroupEdges() {
    group_edges_.resize(file_.groups.size());
    for (size_t g = 0; g < file_.groups.size(); ++g) {
      for (const LocatedString& dep : file_.groups[g].depends_on) {
        auto it = group_index_.find(dep.value);
        if (it == group_index_.end()) {
          return Error(dep.at, fmt::format("groups.{}.depends_on: unknown dependency: no group '{}' (groups: {})",
                                           file_.groups[g].name.value, dep.value, Listed(GroupNames())));
        }
        group_edges_[g].push_back({it->second, dep.at});
      }
    }
    return {};
  }

  Result<void, WorkflowError> ResolveTaskEdges() {
    task_edges_.resize(flat_.size());
    for (size_t t = 0; t < flat_.size(); ++t) {
      const FileGroup& group = GroupOf(t);
      for (const LocatedString& dep : TaskAt(t).depends_on) {
        const bool qualified = dep.value.find('.') != std::string::npos;
        const std::string key = qualified ? dep.value : group.name.value + "." + dep.value;
        auto it = task_index_.find(key);
        if (it == task_index_.end()) {
          std::string why;
          const std::string dep_group = qualified ? dep.value.substr(0, dep.value.find('.')) : group.name.value;
          if (auto g = group_index_.find(dep_group); g == group_index_.end()) {
            why = fmt::format("no group '{}' (groups: {})", dep_group, Listed(GroupNames()));
          } else {
            std::vector<std::string> tasks;
            for (const auto& task : file_.groups[g->second].tasks) tasks.push_back(task.name.value);
            why = fmt::format("no task '{}' in group {} (tasks: {}; another group's task is GROUP.TASK)",
                              qualified ? dep.value.substr(dep.value.find('.') + 1) : dep.value, dep_group,
                              Listed(tasks));
          }
          return Error(dep.at, fmt::format("{}.depends_on: unknown dependency '{}': {}", TaskPath(t), dep.value, why));
        }
        task_edges_[t].push_back({it->second, dep.at});
      }
    }
    return {};
  }

  // Groups first (their cycles read best as groups), then tasks and groups together: a task
  // waits for the groups its group depends on, and a group is done when its tasks are.
  Result<void, WorkflowError> CheckCycles() const {
    DependencyEdges groups(file_.groups.size());
    for (size_t g = 0; g < groups.size(); ++g) {
      for (const Edge& e : group_edges_[g]) groups[g].push_back(e.to);
    }
    if (auto cycle = FindCycle(groups); !cycle.empty()) {
      std::string names;
      for (size_t g : cycle) names += "group " + file_.groups[g].name.value + " -> ";
      names += "group " + file_.groups[cycle.front()].name.value;
      return Error(
          EdgePosition(group_edges_[cycle.front()], cycle.size() > 1 ? cycle[1] : cycle.front()),
          fmt::format("groups.{}.depends_on: dependency cycle: {}", file_.groups[cycle.front()].name.value, names));
    }
    const size_t tasks = flat_.size();
    DependencyEdges all(tasks + file_.groups.size());
    for (size_t t = 0; t < tasks; ++t) {
      for (const Edge& e : task_edges_[t]) all[t].push_back(e.to);
      for (const Edge& e : group_edges_[flat_[t].first]) all[t].push_back(tasks + e.to);
    }
    for (size_t t = 0; t < tasks; ++t) all[tasks + flat_[t].first].push_back(t);
    std::vector<size_t> cycle = FindCycle(all);
    if (cycle.empty()) return {};
    // Start at a task: its edge to the next node is a depends_on entry to point at.
    std::rotate(cycle.begin(), std::find_if(cycle.begin(), cycle.end(), [&](size_t n) { return n < tasks; }),
                cycle.end());
    auto name = [&](size_t n) { return n < tasks ? Qualified(n) : "group " + file_.groups[n - tasks].name.value; };
    std::string names;
    for (size_t n : cycle) names += name(n) + " -> ";
    names += name(cycle.front());
    const size_t first = cycle.front();
    const size_t next = cycle.size() > 1 ? cycle[1] : first;
    const SourcePosition at = next < tasks ? EdgePosition(task_edges_[first], next)
                                           : EdgePosition(group_edges_[flat_[first].first], next - tasks);
    return Error(at, fmt::format("{}.depends_on: dependency cycle: {}",
                                 next < tasks ? TaskPath(first) : "groups." + GroupOf(first).name.value, names));
  }

  static SourcePosition EdgePosition(const std::vector<Edge>& edges, size_t to) {
    for (const Edge& e : edges) {
      if (e.to == to) return e.at;
    }
    return {};
  }

  // Which groups run: the selected ones and, transitively, every group they need.
  Result<std::vector<bool>, WorkflowError> Selection(const std::vector<std::string>& selected) const {
    std::vector<bool> keep(file_.groups.size(), selected.empty());
    std::vector<size_t> pending;
    for (const std::string& name : selected) {
      auto it = group_index_.find(name);
      if (it == group_index_.end()) {
        return WorkflowError{
            "--group", {}, fmt::format("no group '{}' in {} (groups: {})", name, file_.source, Listed(GroupNames()))};
      }
      if (!keep[it->second]) pending.push_back(it->second);
      keep[it->second] = true;
    }
    while (!pending.empty()) {
      const size_t g = pending.back();
      pending.pop_back();
      auto need = [&](size_t other) {
        if (!keep[other]) pending.push_back(other);
        keep[other] = true;
      };
      for (const Edge& e : group_edges_[g]) need(e.to);
      for (size_t t = 0; t < flat_.size(); ++t) {
        if (flat_[t].first != g) continue;
        for (const Edge& e : task_edges_[t]) need(flat_[e.to].first);
      }
    }
    return keep;
  }

  Result<Workflow, WorkflowError> Build(const std::vector<bool>& keep) const {
    Workflow out;
    out.name = file_.name;
    out.source = file_.source;
    std::vector<size_t> new_group(file_.groups.size(), SIZE_MAX), new_task(flat_.size(), SIZE_MAX);
    for (size_t g = 0; g < file_.groups.size(); ++g) {
      if (!keep[g]) continue;
      new_group[g] = out.groups.size();
      out.groups.push_back({file_.groups[g].name.value, file_.groups[g].parallel, {}, {}});
    }
    for (size_t t = 0; t < flat_.size(); ++t) {
      if (!keep[flat_[t].first]) continue;
      new_task[t] = out.tasks.size();
      auto task = BuildTask(t);
      if (!task) return task.error();
      out.tasks.push_back(std::move(*task));
      out.group_of.push_back(new_group[flat_[t].first]);
      out.groups[new_group[flat_[t].first]].tasks.push_back(new_task[t]);
    }
    for (size_t g = 0; g < file_.groups.size(); ++g) {
      if (!keep[g]) continue;
      for (const Edge& e : group_edges_[g]) out.groups[new_group[g]].depends_on.push_back(new_group[e.to]);
    }
    for (size_t t = 0; t < flat_.size(); ++t) {
      if (!keep[flat_[t].first]) continue;
      for (const Edge& e : task_edges_[t]) out.tasks[new_task[t]].depends_on.push_back(new_task[e.to]);
    }
    return out;
  }

  Result<WorkflowTask, WorkflowError> BuildTask(size_t flat) const {
    const FileTask& in = TaskAt(flat);
    const std::string path = TaskPath(flat);
    WorkflowTask out;
    out.at = in.name.at;
    out.spec.name = in.name.value;
    out.spec.group = GroupOf(flat).name.value;
    auto command = SubstitutePlaceholders(in.command, values_, file_.source, path + ".command");
    if (!command) return command.error();
    out.spec.command = std::move(*command);
    if (in.workdir) {
      auto workdir = SubstitutePlaceholders(*in.workdir, values_, file_.source, path + ".workdir");
      if (!workdir) return workdir.error();
      out.spec.workdir = std::move(*workdir);
    }
    for (const auto& [name, value] : in.env) {
      std::string key = path;
      key.append(".env.").append(name);
      auto text = SubstitutePlaceholders(value, values_, file_.source, key);
      if (!text) return text.error();
      out.spec.env.emplace_back(name, std::move(*text));
    }
    if (in.user) {
      auto user = SubstitutePlaceholders(*in.user, values_, file_.source, path + ".user");
      if (!user) return user.error();
      out.spec.user = std::move(*user);
    }
    out.spec.limits = in.limits;
    out.spec.timeout = in.timeout;
    out.retries = in.retries;
    out.retry_delay = in.retry_delay;
    if (in.when) {
      auto condition = Condition::Parse(in.when->value);
      if (!condition) {
        return Error(in.when->PositionOf(condition.error().offset),
                     fmt::format("{}.when: {}", path, condition.error().message));
      }
      for (const auto& [name, offset] : condition->names()) {
        if (values_.Find(name) == nullptr) {
          return Error(in.when->PositionOf(offset),
                       fmt::format("{}.when: no value named '{}' (values: {}; give it a default in [values])", path,
                                   name, Listed(values_.Names())));
        }
      }
      out.when = in.when->value;
      out.condition_holds = condition->Holds(values_);
    }
    return out;
  }

  const WorkflowFile& file_;
  const Values& values_;
  std::map<std::string, size_t, std::less<>> group_index_;
  std::map<std::string, size_t, std::less<>> task_index_;  // "group.task" -> flat index
  std::vector<std::pair<size_t, size_t>> flat_;            // flat index -> (group, task in group)
  std::vector<std::vector<Edge>> group_edges_;
  std::vector<std::vector<Edge>> task_edges_;
};

}  // namespace

std::string Workflow::QualifiedName(size_t task) const { return tasks[task].spec.group + "." + tasks[task].spec.name; }

Result<Workflow, WorkflowError> ResolveWorkflow(const WorkflowFile& file, const Values& values,
                                                const std::vector<std::string>& selected) {
  return Resolver(file, values).Run(selected);
}

Result<Workflow, WorkflowError> LoadWorkflow(const WorkflowSource& source) {
  auto file = ParseWorkflowFile(source.file.text, source.file.name);
  if (!file) return file.error();
  Values values = file->defaults;
  for (const NamedText& values_file : source.values_files) {
    if (auto merged = MergeValuesFile(values_file.text, values_file.name, &values); !merged) return merged.error();
  }
  for (const std::string& set : source.sets) {
    if (auto applied = ApplySet(set, &values); !applied) return applied.error();
  }
  return ResolveWorkflow(*file, values, source.groups);
}

}  // namespace sloth
