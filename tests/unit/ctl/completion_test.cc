// Completion read from slothctl's real command table (the same one main.cc builds).
#include "ctl/completion.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "ctl/command_line.h"
#include "ctl/commands/agent.h"
#include "ctl/commands/metrics.h"
#include "ctl/commands/run.h"

namespace sloth::ctl {
namespace {

class CompletionTest : public ::testing::Test {
 protected:
  CompletionTest() {
    AddGlobalOptions(cli_);
    AddAgentCommands(cli_);
    AddMetricsCommands(cli_);
  }
  std::vector<std::string> Words(const std::vector<std::string>& typed) const {
    std::vector<std::string> out;
    for (const auto& [word, description] : Complete(cli_.app, typed).words) out.push_back(word);
    return out;
  }
  static bool Has(const std::vector<std::string>& words, const std::string& word) {
    return std::find(words.begin(), words.end(), word) != words.end();
  }
  CommandLine cli_;
};

TEST_F(CompletionTest, CommandsAtEachLevelWithTheirHelp) {
  const auto top = Complete(cli_.app, {""});
  EXPECT_EQ(top.kind, Completion::Kind::kWords);
  ASSERT_EQ(top.words.size(), 2u);
  EXPECT_EQ(top.words[0], (std::pair<std::string, std::string>{"agent", "Talk to one agent"}));
  const auto agent = Words({"agent", ""});
  for (const char* verb : {"info", "health", "tasks", "cancel", "run", "metrics"})
    EXPECT_TRUE(Has(agent, verb)) << verb;
  EXPECT_EQ(Words({"agent", "metrics", ""}), (std::vector<std::string>{"grafana", "prom"}));
}

TEST_F(CompletionTest, OptionsOfTheCommandThenTheGlobalOnes) {
  const auto run = Words({"agent", "run", "--"});
  for (const char* option :
       {"--name", "--group", "--timeout", "--workdir", "--env", "--socket", "--no-color", "--help"}) {
    EXPECT_TRUE(Has(run, option)) << option;
  }
  EXPECT_FALSE(Has(Words({"--"}), "--name")) << "a command's option is not global";
  EXPECT_TRUE(Has(Words({"--"}), "--version"));
}

TEST_F(CompletionTest, OptionValuesFromTheirTypeNames) {
  EXPECT_EQ(Words({"--output", ""}), (std::vector<std::string>{"text", "json"}));
  EXPECT_EQ(Words({"metrics", "grafana", "--graph", ""}), (std::vector<std::string>{"braille", "block", "ascii"}));
  EXPECT_EQ(Complete(cli_.app, {"--socket", ""}).kind, Completion::Kind::kFiles);
  EXPECT_EQ(Complete(cli_.app, {"agent", "run", "--workdir", ""}).kind, Completion::Kind::kDirectories);
  EXPECT_TRUE(Has(Words({"--timeout", ""}), "10s"));
  EXPECT_TRUE(Words({"agent", "run", "--name", ""}).empty()) << "free text";
}

TEST_F(CompletionTest, AgentsThenTheCommandWithTheSocketTyped) {
  const auto agent = Complete(cli_.app, {"--socket", "/tmp/a.sock", "agent", "run", ""});
  EXPECT_EQ(agent.kind, Completion::Kind::kAgents);
  EXPECT_EQ(agent.socket, "/tmp/a.sock");
  EXPECT_EQ(Complete(cli_.app, {"agent", "info", "--socket=/tmp/b.sock", ""}).socket, "/tmp/b.sock");
  EXPECT_EQ(Complete(cli_.app, {"agent", "run", "local", ""}).kind, Completion::Kind::kDefault);
  EXPECT_EQ(Complete(cli_.app, {"agent", "run", "--name", "x", "local", "--", "ls", ""}).kind,
            Completion::Kind::kDefault);
  EXPECT_TRUE(Words({"agent", "cancel", "local", ""}).empty()) << "a task id is free text";
}

// The workflow command's values: files for the workflow and values files, the agents for --agent.
TEST(RunCompletion, FilesAndAgentsForItsOptions) {
  CommandLine cli;
  AddGlobalOptions(cli);
  AddRunCommand(cli);
  EXPECT_EQ(Complete(cli.app, {"run", "-f", ""}).kind, Completion::Kind::kFiles);
  EXPECT_EQ(Complete(cli.app, {"run", "--values", ""}).kind, Completion::Kind::kFiles);
  EXPECT_EQ(Complete(cli.app, {"run", "--agent", ""}).kind, Completion::Kind::kAgents);
  const auto options = Complete(cli.app, {"run", "--d"}).words;
  EXPECT_TRUE(std::any_of(options.begin(), options.end(), [](const auto& w) { return w.first == "--dry-run"; }));
}

}  // namespace
}  // namespace sloth::ctl
