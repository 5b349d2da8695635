#pragma once
// What /info (and later GetInfo) reports about the running agent. Pure.
#include <chrono>
#include <string>

#include "daemon/core/tasks/task_limits.h"
#include "daemon/core/telemetry/telemetry.h"

namespace sloth {

struct AgentInfo {
  AgentIdentity identity;
  int pid = 0;
  std::chrono::system_clock::time_point start_time;
  double uptime_seconds = 0;
  std::string master;       // empty: standalone
  std::string metrics_url;  // empty: telemetry off
  std::string control_socket;
  uint32_t tasks_running = 0;
  std::string task_isolation;  // "unit" or "process"
  std::string task_user;       // who tasks run as unless a request names another user
  LimitSupport task_limits;    // which limits tasks get here (each: empty, or why not)
};

// The JSON document served by GET /info.
std::string AgentInfoJson(const AgentInfo& info);

// "2026-11-25T06:12:07.123Z"
std::string FormatRfc3339(std::chrono::system_clock::time_point t);

}  // namespace sloth
