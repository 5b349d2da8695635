#pragma once
// slothctl's command line: the global options, and the command groups that add themselves to it
// (AddAgentCommands in commands/agent.cc, AddMetricsCommands in commands/metrics.cc), each with
// its flags, help and handler in its own file. main.cc only wires them.
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "ctl/global_options.h"

namespace sloth::ctl {

// What the command chosen on the command line runs, once parsing has succeeded.
using Action = std::function<int(const Context&)>;

struct CommandLine {
  CommandLine();
  CLI::App app;
  GlobalFlags flags;
  Action action;  // set by the chosen command's callback

  // Adds a command under `parent` whose handler `run` becomes the action when it is chosen.
  CLI::App* AddCommand(CLI::App* parent, const std::string& name, const std::string& help, Action run);
};

// --socket, --endpoint, --output, --timeout, --no-color, --via, --version.
void AddGlobalOptions(CommandLine& cli);

// Parses, builds the context and runs the chosen command; returns the exit code. Usage errors
// exit 2 with a hint at the command's --help; a CtlError exits with its code, after
// "slothctl: <what>" on stderr.
int RunCommandLine(CommandLine& cli, int argc, char** argv);

// The help text of an <agent> argument.
inline constexpr const char* kAgentArgHelp =
    "Agent name: the local agent's, else one the master knows ('local' or '.': whatever the local agent is)";

}  // namespace sloth::ctl
