// slothctl: wiring only. Each command group adds its commands, flags, help and handlers from its
// own file (ctl/commands/); ctl/command_line.cc holds the global options and runs the choice.
#include "ctl/command_line.h"
#include "ctl/commands/agent.h"
#include "ctl/commands/metrics.h"
#include "ctl/commands/run.h"

int main(int argc, char** argv) {
  sloth::ctl::CommandLine cli;
  sloth::ctl::AddGlobalOptions(cli);
  sloth::ctl::AddAgentCommands(cli);
  sloth::ctl::AddMetricsCommands(cli);  // after agent: also adds the seed's `agent metrics ...`
  sloth::ctl::AddRunCommand(cli);
  return sloth::ctl::RunCommandLine(cli, argc, argv);
}
