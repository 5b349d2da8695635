// The command line as main.cc wires it: parsing picks the command's action, usage errors exit 2.
#include "ctl/command_line.h"

#include <gtest/gtest.h>

#include "ctl/commands/agent.h"
#include "ctl/commands/metrics.h"
#include "ctl/errors.h"

namespace sloth::ctl {
namespace {

int RunSlothctl(std::vector<std::string> args, std::string* chosen = nullptr) {
  CommandLine cli;
  AddGlobalOptions(cli);
  CLI::App* test = cli.app.add_subcommand("test", "a command for the test");
  std::string agent;
  test->add_option("agent", agent)->required();
  test->callback([&] {
    cli.action = [&](const Context& context) {
      if (chosen != nullptr) *chosen = agent + " " + context.socket_path;
      return 7;
    };
  });
  args.insert(args.begin(), "slothctl");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return RunCommandLine(cli, static_cast<int>(argv.size()), argv.data());
}

TEST(RunCommandLine, RunsTheChosenCommandWithItsContext) {
  std::string chosen;
  EXPECT_EQ(RunSlothctl({"test", "a1", "--socket", "/x.sock"}, &chosen), 7);
  EXPECT_EQ(chosen, "a1 /x.sock") << "global options after the command";
}

TEST(RunCommandLine, UsageErrorsExit2) {
  EXPECT_EQ(RunSlothctl({"test"}), kExitUsage);
  EXPECT_EQ(RunSlothctl({"nonsense"}), kExitUsage);
  EXPECT_EQ(RunSlothctl({"test", "a1", "--timeout", "soon"}), kExitUsage);
}

TEST(CommandLine, EveryCommandGroupAddsItself) {
  CommandLine cli;
  AddGlobalOptions(cli);
  AddAgentCommands(cli);
  AddMetricsCommands(cli);
  const CLI::App* agent = cli.app.get_subcommand("agent");
  for (const char* verb : {"info", "health", "tasks", "cancel", "run", "metrics"}) {
    EXPECT_NO_THROW(agent->get_subcommand(verb)) << verb;
  }
  EXPECT_NO_THROW(cli.app.get_subcommand("metrics")->get_subcommand("grafana"));
}

}  // namespace
}  // namespace sloth::ctl
