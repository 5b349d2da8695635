#include "daemon/core/workflows/workflow_plan.h"

#include <algorithm>

#include "daemon/core/workflows/dependency_graph.h"

namespace sloth {

WorkflowPlan PlanWorkflow(const Workflow& workflow) {
  // Tasks and groups together: a task follows its dependencies and the groups its group depends
  // on; a group ends with its last task. A task that runs adds a stage; a group or a skipped
  // task adds none.
  const size_t tasks = workflow.tasks.size();
  DependencyEdges edges(tasks + workflow.groups.size());
  for (size_t t = 0; t < tasks; ++t) {
    edges[t] = workflow.tasks[t].depends_on;
    for (size_t g : workflow.groups[workflow.group_of[t]].depends_on) edges[t].push_back(tasks + g);
    edges[tasks + workflow.group_of[t]].push_back(t);
  }
  std::vector<size_t> level(edges.size(), 0);
  WorkflowPlan plan;
  for (size_t node : TopologicalOrder(edges)) {
    size_t deepest = 0;
    for (size_t dep : edges[node]) deepest = std::max(deepest, level[dep]);
    const bool runs = node < tasks && workflow.tasks[node].condition_holds;
    level[node] = deepest + (runs ? 1 : 0);
    if (node < tasks && !runs) plan.skipped.push_back(node);
    if (!runs) continue;
    if (plan.stages.size() < level[node]) plan.stages.resize(level[node]);
    plan.stages[level[node] - 1].push_back(node);
  }
  for (auto& stage : plan.stages) std::sort(stage.begin(), stage.end());
  std::sort(plan.skipped.begin(), plan.skipped.end());
  return plan;
}

}  // namespace sloth
