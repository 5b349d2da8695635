#include "daemon/core/fleet/service_discovery.h"

#include <nlohmann/json.hpp>

#include "common/scrape_target.h"

namespace sloth {

std::string LabelNameSuffix(std::string_view key) {
  std::string out(key);
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) c = '_';
  }
  return out;
}

std::string ServiceDiscoveryJson(const std::vector<FleetRegistry::View>& agents) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& [record, status, session] : agents) {
    if (status == AgentStatus::kGone || record.metrics_url.empty()) continue;
    const auto target = ParseScrapeTarget(record.metrics_url);
    if (!target) continue;
    nlohmann::json labels = {{"__meta_sloth_agent", record.name},
                             {"__meta_sloth_status", AgentStatusName(status)},
                             {"__meta_sloth_version", record.version},
                             {"__meta_sloth_os", record.os},
                             {"__meta_sloth_arch", record.arch}};
    for (const auto& [key, value] : record.labels) labels["__meta_sloth_label_" + LabelNameSuffix(key)] = value;
    // Only where the agent differs from a scrape config's defaults.
    std::string path = target->path.substr(0, target->path.find_first_of("?#"));
    if (path != "/metrics") labels["__metrics_path__"] = path;
    if (target->scheme != "http") labels["__scheme__"] = target->scheme;
    groups.push_back({{"targets", {target->target}}, {"labels", std::move(labels)}});
  }
  return groups.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace sloth
