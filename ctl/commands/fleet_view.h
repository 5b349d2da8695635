#pragma once
// The fleet dashboard (`slothctl metrics grafana --all`): the master's list of agents, each up
// agent scraped in parallel within one deadline (its own endpoint when slothctl can reach it,
// else GetMetrics relayed by the master), drawn as one row per agent. An agent that does not
// answer in time shows as such; it never holds the frame past the deadline.
#include <chrono>
#include <memory>

#include "ctl/commands/dashboard_view.h"
#include "ctl/global_options.h"

namespace sloth::ctl {

// How long the agents of one frame may take: what the refresh allows, at most 2 s.
std::chrono::milliseconds FleetDeadline(std::chrono::milliseconds refresh_timeout);

// Throws a usage CtlError when no master is configured.
std::unique_ptr<DashboardView> MakeFleetView(const Context& context, std::chrono::milliseconds deadline);

}  // namespace sloth::ctl
