#pragma once
// What the fleet dashboard shows (`slothctl metrics grafana --all`): one row per agent the master
// knows, from its registry entry and, when it answered in time, one scrape of its metrics. Pure:
// the scrapes and the time are passed in. `--output json` prints this model.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctl/prom/metric_set.h"

namespace sloth::dashboard {

// One agent as the dashboard received it.
struct FleetAgentInput {
  std::string name;
  std::string status;   // the registry's: "up", "down", "gone"
  std::string version;  // the registry's, when the scrape has none
  int64_t last_heartbeat_unix_ms = 0;
  const prom::MetricSet* scrape = nullptr;  // nullptr: no scrape (not asked, or no answer)
  std::string no_answer;                    // why there is no scrape, when one was asked for
  std::string source;                       // where the scrape came from: "direct" or "master"
};

struct FleetRow {
  std::string name;
  std::string status;
  std::string version;
  bool answered = false;  // a scrape came in time
  std::string note;       // no answer: why; down or gone: since when
  std::string source;     // "direct" or "master"
  std::optional<double> uptime_s;
  std::optional<double> tasks_total;
  std::optional<double> running;
  std::optional<double> success_rate;
  std::optional<double> worst_p99_s;  // the slowest task's P99
  std::string worst_task;             // "group/task"
  std::optional<double> errors_total;
  std::optional<double> resident_bytes;
};

struct FleetModel {
  std::vector<FleetRow> rows;  // as the master listed them (by name)
  size_t up = 0, down = 0, gone = 0;
  size_t answered = 0;
  double updated_unix_s = 0;
  double deadline_s = 0;  // how long an agent had to answer
};

FleetRow BuildFleetRow(const FleetAgentInput& agent, int64_t now_unix_ms);

FleetModel BuildFleetModel(const std::vector<FleetAgentInput>& agents, double now_unix_s, double deadline_s);

// The model for scripts; unknown values are null.
nlohmann::json FleetModelJson(const FleetModel& model);

}  // namespace sloth::dashboard
