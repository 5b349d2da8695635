#pragma once
// Rendering of the master's answers (`slothctl agent list`): a table for people, JSON for
// scripts. Pure: the time "now" is passed in.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "sloth/v1/master.pb.h"

namespace sloth::ctl {

// "up", "down", "gone".
std::string AgentStatusText(v1::AgentStatus status);

// "4s ago", "3m ago", "2h ago", "5d ago"; "never" for 0.
std::string FormatAgo(int64_t unix_ms, int64_t now_unix_ms);

// NAME STATUS VERSION OS/ARCH LAST SEEN CONNECTED METRICS LABELS, one row per agent, then a count
// by status.
std::string RenderAgentsText(const v1::ListAgentsResponse& agents, int64_t now_unix_ms);
nlohmann::json AgentRecordJson(const v1::AgentRecord& agent);
// {"agents": [...]}.
nlohmann::json AgentsJson(const v1::ListAgentsResponse& agents);

}  // namespace sloth::ctl
