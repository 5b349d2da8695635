#pragma once
// What `slothctl run --dry-run` prints: the plan of a resolved workflow, as text for people and
// JSON for scripts. Pure.
#include <string>

#include <nlohmann/json.hpp>

#include "daemon/core/workflows/workflow.h"
#include "daemon/core/workflows/workflow_plan.h"

namespace sloth::ctl {

// Stage by stage, each task with its command and what bounds it (timeout, retries, when); then
// the tasks a false `when` skips, and the groups' limits.
std::string RenderPlanText(const Workflow& workflow, const WorkflowPlan& plan);
nlohmann::json PlanJson(const Workflow& workflow, const WorkflowPlan& plan);

}  // namespace sloth::ctl
