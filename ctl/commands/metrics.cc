#include "ctl/commands/metrics.h"

#include <cctype>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "ctl/clients/http_client.h"
#include "ctl/clients/http_password.h"
#include "ctl/commands/grafana.h"
#include "ctl/errors.h"
#include "ctl/output.h"
#include "ctl/resolve.h"

namespace sloth::ctl {
namespace {

constexpr const char* kJobName = "sloth-runner-agents";

void PrintSnapshot(const Context& context, std::string_view agent, const std::string& source,
                   const std::string& content_type, const std::string& text) {
  if (context.output == OutputFormat::kJson) {
    std::cout << DumpJson({{"agent", agent}, {"source", source}, {"content_type", content_type}, {"text", text}});
  } else {
    std::cout << text;
    if (!text.empty() && text.back() != '\n') std::cout << '\n';
  }
  std::cout << std::flush;
}

}  // namespace

namespace {

void AddMetricsGroup(CommandLine& cli, CLI::App* parent, const std::shared_ptr<MetricsPromArgs>& prom_args,
                     const std::shared_ptr<MetricsGrafanaArgs>& grafana_args) {
  CLI::App* metrics = parent->add_subcommand("metrics", "Read an agent's Prometheus metrics");
  metrics->require_subcommand(1);

  CLI::App* grafana =
      cli.AddCommand(metrics, "grafana",
                     "Show the agent's dashboard: system, tasks, task performance (P50/P99), gRPC, errors.\n"
                     "One frame by default (fine in a pipe); --watch redraws in the alternate screen every\n"
                     "--interval seconds until q or Ctrl-C. --output json prints the computed model.",
                     [grafana_args](const Context& context) { return MetricsGrafanaCommand(context, *grafana_args); });
  grafana->add_option("agent", grafana_args->agent, kAgentArgHelp);
  grafana->add_flag("--all", grafana_args->all,
                    "The fleet: one row per agent the master knows, scraped in parallel (an agent that does not\n"
                    "answer in time is shown as such)");
  grafana->add_flag("--watch,-w", grafana_args->watch, "Keep redrawing, with rates and sparklines");
  grafana->add_option("--interval,-n", grafana_args->interval_s, "Seconds between scrapes (fractions allowed)")
      ->type_name("SECONDS")
      ->capture_default_str();
  grafana->add_option("--color", grafana_args->color, "Colour: only on a terminal (auto), always or never")
      ->type_name("auto|always|never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  grafana
      ->add_option("--graph", grafana_args->graph,
                   "Glyphs for bars and sparklines (default: braille, ascii without a UTF-8 locale)")
      ->type_name("braille|block|ascii")
      ->check(CLI::IsMember({"braille", "block", "ascii"}));

  CLI::App* prom =
      cli.AddCommand(metrics, "prom",
                     "Show the agent's Prometheus endpoint and how to scrape it, or with --snapshot print its "
                     "current metrics (over the control socket, or from --endpoint)",
                     [prom_args](const Context& context) { return MetricsPromCommand(context, *prom_args); });
  prom->add_option("agent", prom_args->agent, kAgentArgHelp)->required();
  prom->add_flag("--snapshot", prom_args->snapshot, "Print the exposition text instead of the endpoint");
}

}  // namespace

void AddMetricsCommands(CommandLine& cli) {
  auto prom_args = std::make_shared<MetricsPromArgs>();
  auto grafana_args = std::make_shared<MetricsGrafanaArgs>();
  AddMetricsGroup(cli, &cli.app, prom_args, grafana_args);
  for (CLI::App* agent : cli.app.get_subcommands([](CLI::App* command) { return command->get_name() == "agent"; })) {
    AddMetricsGroup(cli, agent, prom_args, grafana_args);
  }
}

std::string MetricsUrlFromEndpoint(std::string_view endpoint) {
  auto target = ParseScrapeTarget(endpoint);
  if (!target) {
    throw UsageError(
        fmt::format("--endpoint: expected an http:// or https:// URL such as http://HOST:9464, got '{}'", endpoint));
  }
  std::string url(endpoint);
  if (target->path == "/") {
    if (url.back() == '/') url.pop_back();
    url += "/metrics";
  }
  return url;
}

std::string RenderPromUsage(std::string_view url, const ScrapeTarget& target, bool emoji) {
  std::string out;
  out += emoji ? "✅ Metrics Endpoint:\n" : "Metrics Endpoint:\n";
  out += fmt::format("  URL: {}\n\n", url);
  out += emoji ? "📝 Usage:\n" : "Usage:\n";
  out += fmt::format("  # View metrics in browser:\n  xdg-open {}\n\n", url);
  out += fmt::format("  # Fetch metrics via curl:\n  curl {}\n\n", url);
  out += "  # Configure Prometheus scraper:\n";
  out += fmt::format("  - job_name: '{}'\n", kJobName);
  std::string path = target.path;
  if (const auto query = path.find_first_of("?#"); query != std::string::npos) path.resize(query);
  if (path != "/metrics") out += fmt::format("    metrics_path: '{}'\n", path);
  if (target.scheme != "http") out += fmt::format("    scheme: {}\n", target.scheme);
  out += "    static_configs:\n";
  out += fmt::format("      - targets: ['{}']\n", target.target);
  return out;
}

nlohmann::json PromUsageJson(std::string_view agent, std::string_view url, const ScrapeTarget& target) {
  return {{"agent", agent},          {"metrics_url", url},          {"scheme", target.scheme},
          {"target", target.target}, {"metrics_path", target.path}, {"job_name", kJobName}};
}

int MetricsPromCommand(const Context& context, const MetricsPromArgs& args) {
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(context.call_timeout);
  std::string url;
  if (context.endpoint) {
    url = MetricsUrlFromEndpoint(*context.endpoint);
    if (args.snapshot) {
      const HttpResult response = HttpGet(url, timeout, CredentialsFor(context.http, PromptOnTerminal));
      if (response.status == 0) {
        throw CtlError(kExitUnavailable, fmt::format("cannot fetch metrics of agent '{}' from {}: {} — is its "
                                                     "telemetry listening there? check --endpoint",
                                                     args.agent, url, response.error));
      }
      if (response.status == 401) {
        throw CtlError(kExitUnavailable, fmt::format("cannot fetch metrics of agent '{}' from {}: HTTP 401 — the "
                                                     "endpoint needs basic auth: --user NAME (password from "
                                                     "SLOTH_PASSWORD, --password-file or the prompt)",
                                                     args.agent, url));
      }
      if (response.status != 200) {
        throw CtlError(kExitUnavailable, fmt::format("cannot fetch metrics of agent '{}' from {}: HTTP {} — check "
                                                     "--endpoint (the metrics path is usually /metrics)",
                                                     args.agent, url, response.status));
      }
      PrintSnapshot(context, args.agent, url, response.content_type, response.body);
      return kExitOk;
    }
  } else {
    OpenedAgent opened = OpenAgent(context, args.agent, true);
    if (args.snapshot) {
      const v1::Metrics metrics = CheckedCall(opened.client->GetMetrics(), *opened.client, args.agent, "GetMetrics");
      PrintSnapshot(context, args.agent, opened.client->target(), metrics.content_type(), metrics.text());
      return kExitOk;
    }
    url = opened.info.metrics_url();
    if (url.empty()) {
      throw CtlError(kExitFailure, fmt::format("agent '{}' has telemetry off (no metrics endpoint); "
                                               "'slothctl metrics prom {} --snapshot' reads its metrics over "
                                               "the control socket",
                                               args.agent, args.agent));
    }
  }
  auto target = ParseScrapeTarget(url);
  if (!target) {
    throw CtlError(kExitFailure,
                   fmt::format("agent '{}' reports a metrics URL slothctl cannot read: '{}'", args.agent, url));
  }
  if (context.output == OutputFormat::kJson) {
    std::cout << DumpJson(PromUsageJson(args.agent, url, *target));
  } else {
    std::cout << RenderPromUsage(url, *target, context.emoji);
  }
  std::cout << std::flush;
  return kExitOk;
}

}  // namespace sloth::ctl
