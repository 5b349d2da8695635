// slothctl: the command-line wiring only; each command lives in ctl/commands/.
#include <functional>
#include <iostream>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "build_info.h"
#include "ctl/commands/agent.h"
#include "ctl/commands/grafana.h"
#include "ctl/commands/metrics.h"
#include "ctl/commands/run.h"
#include "ctl/errors.h"
#include "ctl/global_options.h"

namespace {

using sloth::ctl::Context;

// The command chosen on the command line, run after parsing succeeded.
using Action = std::function<int(const Context&)>;

void AddGrafanaCommand(CLI::App* metrics, sloth::ctl::MetricsGrafanaArgs& args, const bool& no_color, Action& action) {
  auto* grafana =
      metrics->add_subcommand("grafana",
                              "Show the agent's dashboard: system, tasks, task performance (P50/P99), gRPC, errors.\n"
                              "One frame by default (fine in a pipe); --watch redraws in the alternate screen every\n"
                              "--interval seconds until q or Ctrl-C. --output json prints the computed model.");
  grafana->add_option("agent", args.agent, "Agent name ('local' or '.': the local agent)")->required();
  grafana->add_flag("--watch,-w", args.watch, "Keep redrawing, with rates and sparklines");
  grafana->add_option("--interval,-n", args.interval_s, "Seconds between scrapes (fractions allowed)")
      ->type_name("SECONDS")
      ->capture_default_str();
  grafana->add_option("--color", args.color, "Colour: only on a terminal (auto), always or never")
      ->type_name("auto|always|never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  grafana
      ->add_option("--graph", args.graph,
                   "Glyphs for bars and sparklines (default: braille, ascii without a UTF-8 locale)")
      ->type_name("braille|block|ascii")
      ->check(CLI::IsMember({"braille", "block", "ascii"}));
  grafana->callback([&] {
    action = [&](const Context& context) {
      args.no_color_flag = no_color;
      return MetricsGrafanaCommand(context, args);
    };
  });
}

void AddPromCommand(CLI::App* parent, sloth::ctl::MetricsPromArgs& args, sloth::ctl::MetricsGrafanaArgs& grafana_args,
                    const bool& no_color, Action& action) {
  auto* metrics = parent->add_subcommand("metrics", "Read an agent's Prometheus metrics");
  metrics->require_subcommand(1);
  AddGrafanaCommand(metrics, grafana_args, no_color, action);
  auto* prom =
      metrics->add_subcommand("prom",
                              "Show the agent's Prometheus endpoint and how to scrape it, or with --snapshot print its "
                              "current metrics (over the control socket, or from --endpoint)");
  prom->add_option("agent", args.agent, "Agent name ('local' or '.': the local agent)")->required();
  prom->add_flag("--snapshot", args.snapshot, "Print the exposition text instead of the endpoint");
  prom->callback([&] { action = [&](const Context& context) { return MetricsPromCommand(context, args); }; });
}

// "slothctl agent run": the deepest command the user reached, for the --help hint.
std::string CommandPath(const CLI::App& app) {
  std::string path = app.get_name();
  const CLI::App* current = &app;
  for (;;) {
    auto selected = current->get_subcommands();
    if (selected.empty()) break;
    current = selected.front();
    path += " " + current->get_name();
  }
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  namespace ctl = sloth::ctl;
  CLI::App app{
      "Control a slothd agent: run tasks on it, inspect it, read its metrics.\n"
      "Text for people, --output json for scripts.",
      "slothctl"};
  app.fallthrough();  // global flags are accepted after the command too
  app.require_subcommand(1);
  app.set_version_flag("--version", fmt::format("slothctl {} (commit {}, {})", sloth::build::kVersion,
                                                sloth::build::kCommit, sloth::build::kCompiler));
  app.footer(
      "Global options work before or after the command (see 'slothctl --help').\n"
      "Exit codes: 0 ok, 1 failed/unhealthy, 2 usage, 69 agent not found or unreachable;\n"
      "'agent run' exits with the task's code, 124 on timeout, 128+N on signal N, 130 on Ctrl-C.\n"
      "Emoji in text output only with a UTF-8 locale and without NO_COLOR or --no-color.");

  ctl::GlobalFlags flags;
  app.add_option("--socket", flags.socket,
                 "The local slothd's control socket (default: $SLOTH_SOCKET, else "
                 "/run/slothd/slothd.sock)")
      ->type_name("PATH");
  app.add_option("--endpoint", flags.endpoint,
                 "HTTP base or metrics URL of an agent, for metrics commands "
                 "(e.g. http://host:9464)")
      ->type_name("URL");
  app.add_option("--output,-o", flags.output, "Output format")
      ->type_name("text|json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", flags.timeout,
                 "Deadline of each call to the agent (500ms, 10s, 1m); not the task's timeout")
      ->type_name("D")
      ->capture_default_str();
  app.add_flag("--no-color", flags.no_color, "Plain ASCII output (as NO_COLOR=1)");
  app.add_option("--via", flags.via, "Reach the local agent over its control socket (gRPC) or the system bus (D-Bus)")
      ->check(CLI::IsMember({"socket", "dbus"}))
      ->default_str("socket");

  Action action;

  auto* agent = app.add_subcommand("agent", "Talk to one agent");
  agent->require_subcommand(1);

  std::string agent_name;
  const char* agent_help = "Agent name ('local' or '.': whatever the local agent is)";

  auto* info = agent->add_subcommand("info", "Show the agent's name, version, uptime and endpoints");
  info->add_option("agent", agent_name, agent_help)->required();
  info->callback([&] { action = [&](const Context& c) { return ctl::AgentInfoCommand(c, agent_name); }; });

  auto* health = agent->add_subcommand("health", "Check the agent's health (exit 0 healthy, 1 not)");
  health->add_option("agent", agent_name, agent_help)->required();
  health->callback([&] { action = [&](const Context& c) { return ctl::AgentHealthCommand(c, agent_name); }; });

  auto* tasks = agent->add_subcommand("tasks", "List running, queued and recent tasks");
  tasks->add_option("agent", agent_name, agent_help)->required();
  tasks->callback([&] { action = [&](const Context& c) { return ctl::AgentTasksCommand(c, agent_name); }; });

  std::string task_id;
  auto* cancel = agent->add_subcommand("cancel", "Cancel a running or queued task");
  cancel->add_option("agent", agent_name, agent_help)->required();
  cancel->add_option("task-id", task_id, "The task's ID (see 'agent tasks')")->required();
  cancel->callback([&] { action = [&](const Context& c) { return ctl::AgentCancelCommand(c, agent_name, task_id); }; });

  ctl::AgentRunArgs run_args;
  auto* run =
      agent->add_subcommand("run",
                            "Run a shell command on the agent, streaming its output; exits with its exit code.\n"
                            "Put the command in quotes, or after --. With --output json the result, including the\n"
                            "task's stdout and stderr, is printed once it finishes instead of streaming.");
  run->add_option("agent", run_args.agent, agent_help)->required();
  run->add_option("command", run_args.command, "The command, run as /bin/sh -c COMMAND")->required();
  run->add_option("--name", run_args.name, "Task name (default: adhoc)")->type_name("N");
  run->add_option("--group", run_args.group, "Task group (default: adhoc)")->type_name("G");
  run->add_option("--timeout", run_args.timeout, "Kill the task after this long (default: the agent's); exit 124")
      ->type_name("D");
  run->add_option("--workdir", run_args.workdir, "Working directory on the agent")->type_name("DIR");
  run->add_option("--env", run_args.env, "Add KEY=VALUE to the task's environment (repeatable)")
      ->type_name("K=V")
      ->allow_extra_args(false);
  run->callback([&] { action = [&](const Context& c) { return ctl::AgentRunCommand(c, run_args); }; });

  ctl::RunArgs workflow_args;
  auto* workflow = app.add_subcommand(
      "run",
      "Run a workflow (groups of tasks with dependencies, TOML) on an agent, with live progress\n"
      "and a summary; exits 1 if a task failed. A bad file is refused first, with file:line:column.");
  workflow->add_option("-f,--file", workflow_args.file, "The workflow file")->type_name("FILE")->required();
  workflow->add_option("--values", workflow_args.values_files, "A TOML file of values for {{ NAME }} (repeatable)")
      ->type_name("FILE")
      ->allow_extra_args(false);
  workflow->add_option("--set", workflow_args.sets, "Set a value, over the files (repeatable)")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false);
  workflow->add_option("--agent", workflow_args.agent, "The agent to run it on")->capture_default_str();
  workflow->add_option("--group", workflow_args.groups, "Run only this group and those it needs (repeatable)")
      ->type_name("G")
      ->allow_extra_args(false);
  workflow->add_flag("--dry-run", workflow_args.dry_run, "Print the plan (order, what runs in parallel); run nothing");
  workflow->callback([&] { action = [&](const Context& c) { return ctl::RunCommand(c, workflow_args); }; });

  ctl::MetricsPromArgs prom_args;
  ctl::MetricsGrafanaArgs grafana_args;
  // slothctl metrics prom|grafana, and the seed's spelling slothctl agent metrics prom|grafana
  AddPromCommand(&app, prom_args, grafana_args, flags.no_color, action);
  AddPromCommand(agent, prom_args, grafana_args, flags.no_color, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::cerr << "slothctl: " << e.what() << " (see '" << CommandPath(app) << " --help')" << std::endl;
    return ctl::kExitUsage;
  }

  try {
    const Context context = ctl::MakeContext(flags, ctl::Environment::FromProcess());
    return action(context);
  } catch (const ctl::CtlError& e) {
    std::cerr << "slothctl: " << e.what() << std::endl;
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "slothctl: " << e.what() << std::endl;
    return ctl::kExitFailure;
  }
}
