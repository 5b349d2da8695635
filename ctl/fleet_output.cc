#include "ctl/fleet_output.h"

#include <map>

#include <fmt/format.h>

#include "ctl/output.h"

namespace sloth::ctl {

std::string AgentStatusText(v1::AgentStatus status) {
  switch (status) {
    case v1::AGENT_STATUS_UP: return "up";
    case v1::AGENT_STATUS_DOWN: return "down";
    case v1::AGENT_STATUS_GONE: return "gone";
    default: return "unknown";
  }
}

std::string FormatAgo(int64_t unix_ms, int64_t now_unix_ms) {
  if (unix_ms == 0) return "never";
  const int64_t seconds = std::max<int64_t>(0, (now_unix_ms - unix_ms) / 1000);
  if (seconds < 120) return fmt::format("{}s ago", seconds);
  if (seconds < 7200) return fmt::format("{}m ago", seconds / 60);
  if (seconds < 2 * 86400) return fmt::format("{}h ago", seconds / 3600);
  return fmt::format("{}d ago", seconds / 86400);
}

std::string RenderAgentsText(const v1::ListAgentsResponse& agents, int64_t now_unix_ms) {
  std::vector<std::vector<std::string>> rows;
  std::map<std::string, int> by_status;
  for (const auto& agent : agents.agents()) {
    const std::string status = AgentStatusText(agent.status());
    ++by_status[status];
    std::string labels;
    for (const auto& [key, value] : std::map<std::string, std::string>(agent.labels().begin(), agent.labels().end())) {
      labels += (labels.empty() ? "" : ",") + key + "=" + value;
    }
    rows.push_back({agent.name(), status, agent.version(), agent.os() + "/" + agent.arch(),
                    FormatAgo(agent.last_heartbeat_unix_ms(), now_unix_ms),
                    FormatLocalTime(agent.connected_since_unix_ms()),
                    agent.metrics_url().empty() ? "-" : agent.metrics_url(), labels.empty() ? "-" : labels});
  }
  if (rows.empty()) return "no agents have registered with the master yet\n";
  std::string out =
      RenderTable({"NAME", "STATUS", "VERSION", "OS/ARCH", "LAST SEEN", "CONNECTED", "METRICS", "LABELS"}, rows);
  out += fmt::format("\n{} agent{}: {} up, {} down, {} gone.\n", rows.size(), rows.size() == 1 ? "" : "s",
                     by_status["up"], by_status["down"], by_status["gone"]);
  return out;
}

nlohmann::json AgentRecordJson(const v1::AgentRecord& agent) {
  return {
      {"name", agent.name()},
      {"status", AgentStatusText(agent.status())},
      {"version", agent.version()},
      {"os", agent.os()},
      {"arch", agent.arch()},
      {"labels", std::map<std::string, std::string>(agent.labels().begin(), agent.labels().end())},
      {"metrics_url", agent.metrics_url()},
      {"address", agent.address()},
      {"tasks_running", agent.tasks_running()},
      {"connected_since", Iso8601Utc(agent.connected_since_unix_ms())},
      {"last_heartbeat", Iso8601Utc(agent.last_heartbeat_unix_ms())},
      {"first_seen", Iso8601Utc(agent.first_seen_unix_ms())},
      {"connected_since_unix_ms", agent.connected_since_unix_ms()},
      {"last_heartbeat_unix_ms", agent.last_heartbeat_unix_ms()},
  };
}

nlohmann::json AgentsJson(const v1::ListAgentsResponse& agents) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& agent : agents.agents()) list.push_back(AgentRecordJson(agent));
  return {{"agents", std::move(list)}};
}

}  // namespace sloth::ctl
