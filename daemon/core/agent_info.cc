#include "daemon/core/agent_info.h"

#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sloth {

std::string FormatRfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

std::string AgentInfoJson(const AgentInfo& info) {
  nlohmann::json j;
  j["name"] = info.identity.name;
  j["version"] = info.identity.version;
  j["commit"] = info.identity.commit;
  j["compiler"] = info.identity.compiler;
  j["os"] = info.identity.os;
  j["arch"] = info.identity.arch;
  j["pid"] = info.pid;
  j["start_time"] = FormatRfc3339(info.start_time);
  j["start_time_seconds"] = std::chrono::duration<double>(info.start_time.time_since_epoch()).count();
  j["uptime_seconds"] = info.uptime_seconds;
  j["master"] = info.master.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.master);
  j["metrics_url"] = info.metrics_url.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.metrics_url);
  j["control_socket"] = info.control_socket;
  j["tasks_running"] = info.tasks_running;
  auto limit = [](const std::string& why_not) { return why_not.empty() ? "enforced" : "not enforced: " + why_not; };
  j["tasks"] = {{"isolation", info.task_isolation},
                {"user", info.task_user},
                {"limits",
                 {{"memory_max", limit(info.task_limits.memory)},
                  {"cpu_quota", limit(info.task_limits.cpu)},
                  {"tasks_max", limit(info.task_limits.tasks)}}}};
  return j.dump(2) + "\n";
}

}  // namespace sloth
