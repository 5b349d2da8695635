#pragma once
// What the master keeps of one agent (doc/fleet.md): plain values, shared by the registry, its
// store and the readers (agent list, Prometheus service discovery).
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace sloth {

using WallTime = std::chrono::system_clock::time_point;

// up: connected, heartbeats on time; down: disconnected or heartbeats missed; gone: the agent
// unregistered (it stopped cleanly).
enum class AgentStatus { kUp, kDown, kGone };

// "up", "down", "gone".
std::string_view AgentStatusName(AgentStatus status);

struct AgentRecord {
  std::string name;
  std::string version;
  std::string os;
  std::string arch;
  std::map<std::string, std::string> labels;
  std::string metrics_url;  // the agent's own, as it reported it; empty: telemetry off
  std::string address;      // where its stream came from
  WallTime first_seen{};
  WallTime connected_since{};  // the current (or last) connection's registration
  WallTime last_heartbeat{};
  uint32_t tasks_running = 0;  // at its last heartbeat
  bool unregistered = false;   // it said goodbye: gone until it registers again

  bool operator==(const AgentRecord&) const = default;
};

}  // namespace sloth
