#include <gtest/gtest.h>

#include "ctl/commands/agent.h"
#include "ctl/errors.h"

namespace sloth::ctl {
namespace {

int UsageExitOf(const AgentRunArgs& args) {
  try {
    BuildRunTaskRequest(args);
  } catch (const CtlError& e) {
    return e.exit_code();
  }
  return -1;
}

TEST(BuildRunTaskRequest, MapsEveryFlagToTheRequest) {
  AgentRunArgs args;
  args.agent = "local";
  args.command = {"echo hello"};
  args.name = "greet";
  args.group = "demo";
  args.timeout = "5s";
  args.workdir = "/tmp";
  args.env = {"A=1", "B=x=y", "EMPTY="};
  const auto request = BuildRunTaskRequest(args);
  EXPECT_EQ(request.command(), "echo hello");
  EXPECT_EQ(request.name(), "greet");
  EXPECT_EQ(request.group(), "demo");
  EXPECT_EQ(request.timeout_ms(), 5000u);
  EXPECT_EQ(request.workdir(), "/tmp");
  ASSERT_EQ(request.env().size(), 3u);
  EXPECT_EQ(request.env().at("A"), "1");
  EXPECT_EQ(request.env().at("B"), "x=y");
  EXPECT_EQ(request.env().at("EMPTY"), "");
}

TEST(BuildRunTaskRequest, LeavesDefaultsToTheAgent) {
  AgentRunArgs args;
  args.command = {"true"};
  const auto request = BuildRunTaskRequest(args);
  EXPECT_EQ(request.name(), "");
  EXPECT_EQ(request.group(), "");
  EXPECT_EQ(request.timeout_ms(), 0u);
  EXPECT_TRUE(request.env().empty());
}

TEST(BuildRunTaskRequest, JoinsUnquotedWordsWithSpaces) {
  AgentRunArgs args;
  args.command = {"ls", "-l", "/tmp"};
  EXPECT_EQ(BuildRunTaskRequest(args).command(), "ls -l /tmp");
}

TEST(BuildRunTaskRequest, RoundsSubMillisecondTimeoutUpNotToTheDefault) {
  AgentRunArgs args;
  args.command = {"true"};
  args.timeout = "500us";
  EXPECT_EQ(BuildRunTaskRequest(args).timeout_ms(), 1u);
  args.timeout = "1m30s";
  EXPECT_EQ(BuildRunTaskRequest(args).timeout_ms(), 90000u);
}

TEST(BuildRunTaskRequest, BadTimeoutIsAUsageErrorNamingTheFlag) {
  AgentRunArgs args;
  args.command = {"true"};
  args.timeout = "5";
  try {
    BuildRunTaskRequest(args);
    FAIL() << "expected a usage error";
  } catch (const CtlError& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("--timeout"), std::string::npos) << e.what();
  }
  args.timeout = "0s";
  EXPECT_EQ(UsageExitOf(args), kExitUsage);
}

TEST(BuildRunTaskRequest, EnvWithoutKeyOrEqualsIsAUsageError) {
  AgentRunArgs args;
  args.command = {"true"};
  args.env = {"NOEQUALS"};
  EXPECT_EQ(UsageExitOf(args), kExitUsage);
  args.env = {"=value"};
  EXPECT_EQ(UsageExitOf(args), kExitUsage);
}

TEST(BuildRunTaskRequest, BlankCommandIsAUsageError) {
  AgentRunArgs args;
  args.command = {"  "};
  EXPECT_EQ(UsageExitOf(args), kExitUsage);
}

}  // namespace
}  // namespace sloth::ctl
