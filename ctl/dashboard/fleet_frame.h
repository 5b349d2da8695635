#pragma once
// The fleet dashboard drawn into one frame (`slothctl metrics grafana --all`): a header with the
// counts by status, then one row per agent (status, version, uptime, tasks, success rate, worst
// P99, errors, resident memory, and why an agent did not answer). A pure function of the model,
// the width and the style; lines are cut to `cols`, never wrapped.
#include <string>

#include "ctl/dashboard/dashboard_frame.h"
#include "ctl/dashboard/fleet_model.h"

namespace sloth::dashboard {

std::string FleetFrame(const FleetModel& model, const FrameOptions& options);

}  // namespace sloth::dashboard
