#pragma once
// `slothctl metrics prom` (also spelled `slothctl agent metrics prom`): where an agent's
// Prometheus endpoint is and how to scrape it, or a snapshot of the exposition text.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

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

// Parts of an http(s) URL that a scrape config needs; nullopt when `url` is not http(s).
struct ScrapeTarget {
  std::string scheme;  // "http" or "https"
  std::string target;  // "host:port", "[::1]:9464"; the scheme's default port when none given
  std::string path;    // "/metrics"
};
std::optional<ScrapeTarget> ParseScrapeTarget(std::string_view url);

// The seed's "✅ Metrics Endpoint: ... 📝 Usage: ..." block for `url`; plain ASCII headings
// when `emoji` is false. Adds metrics_path/scheme lines only when they differ from
// Prometheus's defaults.
std::string RenderPromUsage(std::string_view url, const ScrapeTarget& target, bool emoji);
nlohmann::json PromUsageJson(std::string_view agent, std::string_view url, const ScrapeTarget& target);

}  // namespace sloth::ctl
