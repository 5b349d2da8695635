#pragma once
// Prometheus HTTP service discovery (GET /sd on the master): every agent with a metrics
// endpoint, as a target group with its name, status, version and labels as __meta_sloth_*
// labels, so `http_sd_configs` finds the fleet by itself (etc/prometheus/slothd-scrape.yml).
// Pure.
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/fleet/fleet_registry.h"

namespace sloth {

// The JSON document: [{"targets": ["host:port"], "labels": {"__meta_sloth_agent": ...}}].
// Agents that are `gone` or have no metrics URL are left out; `down` ones stay, so that
// Prometheus records up == 0 for them and alerts can fire.
std::string ServiceDiscoveryJson(const std::vector<FleetRegistry::View>& agents);

// An agent label's key as a Prometheus label name suffix: characters outside [A-Za-z0-9_] become
// '_' (the registry refuses such keys already; this keeps the document valid whatever it holds).
std::string LabelNameSuffix(std::string_view key);

}  // namespace sloth
