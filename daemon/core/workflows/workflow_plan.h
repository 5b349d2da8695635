#pragma once
// The plan `slothctl run --dry-run` prints: the order the tasks would start in, as stages of
// tasks that may run in parallel (within their group's `parallel` and the agent's limit), and
// the tasks a false `when` skips. Pure.
#include <cstddef>
#include <vector>

#include "daemon/core/workflows/workflow.h"

namespace sloth {

struct WorkflowPlan {
  // Stage N holds the tasks whose dependencies are all in earlier stages; file order within.
  std::vector<std::vector<size_t>> stages;
  std::vector<size_t> skipped;  // `when` is false: they do not run (their dependants do)
};

WorkflowPlan PlanWorkflow(const Workflow& workflow);

}  // namespace sloth
