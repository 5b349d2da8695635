#include "daemon/command_line.h"

#include <cstdio>
#include <filesystem>
#include <utility>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "build_info.h"

namespace sloth {

std::variant<CommandLine, CommandLineExit> ParseCommandLine(int argc, char** argv) {
  CommandLine cli;
  CLI::App app{"slothd - the Sloth Runner agent: runs shell tasks and workflows and reports them as Prometheus metrics",
               "slothd"};
  app.set_version_flag("--version",
                       fmt::format("slothd {} (commit {}, {})", build::kVersion, build::kCommit, build::kCompiler));
  app.footer(fmt::format("Configuration: {} (see slothd.toml(5)); flags override the file.", kDefaultConfigPath));
  std::string name, master, control_socket, state_dir, address, log_level, web_config, role = "agent";
  uint16_t port = 0;
  bool telemetry = true;
  app.add_option("--role", role,
                 "agent: run tasks (default); master: the registry agents dial and the relay to them, "
                 "configured by /etc/sloth-master/master.toml")
      ->check(CLI::IsMember({"agent", "master"}))
      ->option_text("agent|master");
  auto* o_config = app.add_option("-c,--config", cli.config_path, "Configuration file")->option_text("FILE");
  app.add_flag("--check-config", cli.check_config, "Check the configuration, print it, and exit (0 if valid)");
  auto* o_name = app.add_option("--name", name, "Agent name (default: the host name)");
  auto* o_master = app.add_option("--master", master, "Master to dial and register with, host:port (doc/fleet.md)");
  auto* o_telemetry =
      app.add_flag("--telemetry{true}", telemetry, "Serve metrics over HTTP (--telemetry=false: no listener at all)");
  auto* o_port = app.add_option("--metrics-port", port, "Metrics HTTP port (0: pick a free one)");
  auto* o_address = app.add_option("--metrics-address", address, "Metrics HTTP listen address");
  auto* o_web = app.add_option("--web.config.file,--web-config", web_config,
                               "exporter-toolkit web-config file: TLS, basic auth (telemetry.web_config)")
                    ->option_text("FILE");
  auto* o_socket = app.add_option("--control-socket", control_socket, "Control socket path")->option_text("PATH");
  auto* o_state = app.add_option("--state-dir", state_dir, "State directory")->option_text("PATH");
  auto* o_level = app.add_option("--log-level", log_level, "error|warning|notice|info|debug");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return CommandLineExit{app.exit(e)};
  } catch (const CLI::CallForVersion& e) {
    return CommandLineExit{app.exit(e)};
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "slothd: %s\nRun 'slothd --help' for the flags.\n", e.what());
    return CommandLineExit{2};
  }
  cli.config_path_given = o_config->count() > 0;
  if (role == "master") {
    cli.role = Role::kMaster;
    if (!cli.config_path_given) cli.config_path = kDefaultMasterConfigPath;
  }
  if (o_name->count()) cli.name = name;
  if (o_master->count()) cli.master = master;
  if (o_telemetry->count()) cli.telemetry = telemetry;
  if (o_port->count()) cli.metrics_port = port;
  if (o_address->count()) cli.metrics_address = address;
  if (o_socket->count()) cli.control_socket = control_socket;
  if (o_state->count()) cli.state_dir = state_dir;
  if (o_level->count()) cli.log_level = log_level;
  // As exporters do, a relative name is relative to the working directory at start (reloads
  // read the same file).
  if (o_web->count()) cli.web_config = web_config.empty() ? web_config : std::filesystem::absolute(web_config).string();
  return cli;
}

std::optional<ConfigError> ApplyOverrides(const CommandLine& cli, Config* config) {
  auto refuse = [](std::string flag, std::string why) {
    return ConfigError{std::move(flag), 0, 0, "", std::move(why)};
  };
  if (config->role == Role::kMaster) {
    // The master has no name, master, socket or agent state: a flag for them is a mistake.
    for (const auto& [given, flag] : {std::pair{cli.name.has_value(), "--name"},
                                      {cli.master.has_value(), "--master"},
                                      {cli.control_socket.has_value(), "--control-socket"},
                                      {cli.state_dir.has_value(), "--state-dir"}}) {
      if (given) return refuse(flag, "an agent's flag; the master's settings are in [master] of its file");
    }
  }
  if (cli.name) {
    if (auto why = CheckAgentName(*cli.name)) return refuse("--name", *why);
    config->agent.name = *cli.name;
  }
  if (cli.master) {
    if (auto why = CheckMasterAddress(*cli.master)) return refuse("--master", *why);
    config->agent.master = *cli.master;
  }
  if (cli.control_socket) {
    if (auto why = CheckAbsolutePath(*cli.control_socket)) return refuse("--control-socket", *why);
    config->agent.control_socket = *cli.control_socket;
  }
  if (cli.state_dir) {
    if (auto why = CheckAbsolutePath(*cli.state_dir)) return refuse("--state-dir", *why);
    config->agent.state_dir = *cli.state_dir;
  }
  if (cli.metrics_address) {
    if (auto why = CheckListenAddress(*cli.metrics_address)) return refuse("--metrics-address", *why);
    config->telemetry.address = *cli.metrics_address;
  }
  if (cli.web_config) {
    if (auto why = CheckOptionalAbsolutePath(*cli.web_config)) return refuse("--web.config.file", *why);
    config->telemetry.web_config = *cli.web_config;
  }
  if (cli.metrics_port) config->telemetry.port = *cli.metrics_port;
  if (cli.telemetry) config->telemetry.enabled = *cli.telemetry;
  if (cli.log_level && !ParseLogLevel(*cli.log_level, &config->log.level)) {
    return refuse("--log-level",
                  fmt::format("expected error, warning, notice, info or debug, got \"{}\"", *cli.log_level));
  }
  return std::nullopt;
}

}  // namespace sloth
