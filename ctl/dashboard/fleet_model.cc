#include "ctl/dashboard/fleet_model.h"

#include <cmath>

#include <fmt/format.h>

#include "ctl/dashboard/dashboard_model.h"

namespace sloth::dashboard {
namespace {

nlohmann::json OrNull(const std::optional<double>& value) {
  if (!value || std::isnan(*value)) return nullptr;
  return *value;
}

std::string Ago(int64_t unix_ms, int64_t now_unix_ms) {
  if (unix_ms == 0) return "never heard from";
  const int64_t s = std::max<int64_t>(0, (now_unix_ms - unix_ms) / 1000);
  if (s < 120) return fmt::format("last heard {}s ago", s);
  if (s < 7200) return fmt::format("last heard {}m ago", s / 60);
  return fmt::format("last heard {}h ago", s / 3600);
}

}  // namespace

FleetRow BuildFleetRow(const FleetAgentInput& agent, int64_t now_unix_ms) {
  FleetRow row;
  row.name = agent.name;
  row.status = agent.status;
  row.version = agent.version;
  row.source = agent.source;
  if (agent.scrape == nullptr) {
    row.note = agent.status == "up" ? "no answer: " + agent.no_answer : Ago(agent.last_heartbeat_unix_ms, now_unix_ms);
    return row;
  }
  row.answered = true;
  ModelInput input;
  input.agent = agent.name;
  input.scrape = agent.scrape;
  const DashboardModel model = BuildDashboardModel(input);
  if (!model.header.version.empty()) row.version = model.header.version;
  row.uptime_s = model.header.uptime_s;
  row.tasks_total = model.tasks.total;
  row.running = model.tasks.running;
  row.success_rate = model.tasks.success_rate;
  // Slowest first, tasks without observations last.
  if (!model.performance.empty() && !std::isnan(model.performance.front().p99_s)) {
    row.worst_p99_s = model.performance.front().p99_s;
    row.worst_task = model.performance.front().group + "/" + model.performance.front().task;
  }
  row.errors_total = model.errors_total;
  row.resident_bytes = model.system.resident_bytes;
  return row;
}

FleetModel BuildFleetModel(const std::vector<FleetAgentInput>& agents, double now_unix_s, double deadline_s) {
  FleetModel model;
  model.updated_unix_s = now_unix_s;
  model.deadline_s = deadline_s;
  const auto now_ms = static_cast<int64_t>(now_unix_s * 1000);
  for (const auto& agent : agents) {
    model.rows.push_back(BuildFleetRow(agent, now_ms));
    const FleetRow& row = model.rows.back();
    if (row.status == "up") ++model.up;
    if (row.status == "down") ++model.down;
    if (row.status == "gone") ++model.gone;
    if (row.answered) ++model.answered;
  }
  return model;
}

nlohmann::json FleetModelJson(const FleetModel& model) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : model.rows) {
    rows.push_back({{"agent", r.name},
                    {"status", r.status},
                    {"version", r.version},
                    {"answered", r.answered},
                    {"note", r.note},
                    {"source", r.source},
                    {"uptime_seconds", OrNull(r.uptime_s)},
                    {"tasks_total", OrNull(r.tasks_total)},
                    {"tasks_running", OrNull(r.running)},
                    {"success_rate", OrNull(r.success_rate)},
                    {"worst_p99_seconds", OrNull(r.worst_p99_s)},
                    {"worst_task", r.worst_task},
                    {"errors_total", OrNull(r.errors_total)},
                    {"resident_memory_bytes", OrNull(r.resident_bytes)}});
  }
  return {{"agents", std::move(rows)},
          {"up", model.up},
          {"down", model.down},
          {"gone", model.gone},
          {"answered", model.answered},
          {"updated_unix_s", model.updated_unix_s},
          {"deadline_seconds", model.deadline_s}};
}

}  // namespace sloth::dashboard
