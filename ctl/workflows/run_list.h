#pragma once
// The workflow runs `slothctl agent tasks` lists below the tasks: one row per run with its task
// counts and its groups' statuses, and the same as JSON. Pure.
#include <string>

#include <nlohmann/json.hpp>

#include "sloth/v1/agent.pb.h"

namespace sloth::ctl {

// "" when there are no runs; else a blank line and a table: RUN WORKFLOW STATUS TASKS GROUPS
// STARTED DURATION.
std::string RenderWorkflowRunsText(const v1::ListTasksResponse& tasks);
nlohmann::json WorkflowRunsJson(const v1::ListTasksResponse& tasks);
// One run without its tasks: id, workflow, status, times, counts, groups.
nlohmann::json WorkflowRunJson(const v1::WorkflowRun& run);

}  // namespace sloth::ctl
