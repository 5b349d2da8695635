#pragma once
// `slothctl metrics prom` (also spelled `slothctl agent metrics prom`): where an agent's
// Prometheus endpoint is and how to scrape it, or a snapshot of the exposition text.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/scrape_target.h"
#include "ctl/command_line.h"
#include "ctl/global_options.h"

namespace sloth::ctl {

// Adds `metrics prom|grafana`, and the seed's spelling `agent metrics prom|grafana` when the
// `agent` command is there already.
void AddMetricsCommands(CommandLine& cli);

struct MetricsPromArgs {
  std::string agent;
  bool snapshot = false;
};

int MetricsPromCommand(const Context& context, const MetricsPromArgs& args);

// --endpoint as a metrics URL: "http://h:9464" and "http://h:9464/" gain "/metrics", any other
// path is kept. Throws a usage CtlError unless the scheme is http or https.
std::string MetricsUrlFromEndpoint(std::string_view endpoint);

using sloth::ParseScrapeTarget;
using sloth::ScrapeTarget;

// The seed's "✅ Metrics Endpoint: ... 📝 Usage: ..." block for `url`; plain ASCII headings
// when `emoji` is false. Adds metrics_path/scheme lines only when they differ from
// Prometheus's defaults.
std::string RenderPromUsage(std::string_view url, const ScrapeTarget& target, bool emoji);
nlohmann::json PromUsageJson(std::string_view agent, std::string_view url, const ScrapeTarget& target);

}  // namespace sloth::ctl
