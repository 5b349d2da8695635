// slothd reads its configuration file with bounds, at start and on SIGHUP: a directory, a FIFO
// or an oversized file is refused with the reason (exit 2 at start; the running configuration
// stays on reload), never read without end or waited on.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/harness.h"

using namespace sloth::test;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

void ExpectRefusedAtStart(const std::string& path, const std::string& reason) {
  for (bool check_only : {true, false}) {
    std::vector<std::string> args = {"--config", path};
    if (check_only) args.push_back("--check-config");
    Slothd agent(args, /*wait_ready=*/false);
    EXPECT_EQ(agent.process().WaitExit(10s), 2) << path << (check_only ? " --check-config" : "") << " must exit 2";
    const std::string out = agent.process().Output();
    EXPECT_THAT(out, HasSubstr("configuration error: " + path + ": " + reason));
    EXPECT_THAT(out, Not(HasSubstr("configuration OK")));
    EXPECT_THAT(out, Not(HasSubstr(" ready ")));
  }
}

}  // namespace

TEST(SlothdConfigFile, DirectoryIsRefusedWithExitTwo) {
  TempDir dir;
  ExpectRefusedAtStart(dir.path(), "is a directory, not a configuration file");
}

TEST(SlothdConfigFile, FifoIsRefusedWithoutHanging) {
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.File("fifo").c_str(), 0600), 0);
  ExpectRefusedAtStart(dir.File("fifo"), "is a FIFO");
}

TEST(SlothdConfigFile, DeviceIsRefusedWithoutReading) { ExpectRefusedAtStart("/dev/zero", "is a character device"); }

TEST(SlothdConfigFile, OversizedFileIsRefused) {
  TempDir dir;
  // Valid TOML (comments only), 2 MiB: read whole, it would pass as an empty configuration.
  std::string big;
  while (big.size() < 2 * 1024 * 1024) big += "# a comment line of a configuration that is far too long\n";
  WriteFile(dir.File("big.toml"), big);
  ExpectRefusedAtStart(dir.File("big.toml"), "the configuration file is");
}

TEST(SlothdConfigFile, ReloadRefusesAFifoAndKeepsRunning) {
  TempDir dir;
  const std::string path = dir.File("slothd.toml");
  WriteFile(path, "[log]\nlevel = \"info\"\n");
  Slothd agent({"--config", path});
  std::filesystem::remove(path);
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  agent.process().Signal(SIGHUP);
  auto line = agent.process().WaitForLine("reload failed", 10s);
  ASSERT_TRUE(line) << "the reload must fail at once, not wait for a writer:\n" << agent.process().Output();
  EXPECT_THAT(*line, HasSubstr(path + ": is a FIFO"));
  EXPECT_EQ(HttpRequest(agent.base_url() + "/health").status, 200);
  EXPECT_THAT(HttpRequest(agent.metrics_url()).body, HasSubstr("sloth_errors_total{type=\"config\"} 1"));

  // The same path made a regular file again: the next reload applies it.
  std::filesystem::remove(path);
  WriteFile(path, "[log]\nlevel = \"debug\"\n");
  agent.process().Signal(SIGHUP);
  EXPECT_TRUE(agent.process().WaitForLine("configuration reloaded", 10s)) << agent.process().Output();
}

TEST(SlothdConfigFile, ReloadRefusesAnOversizedFile) {
  TempDir dir;
  const std::string path = dir.File("slothd.toml");
  WriteFile(path, "");
  Slothd agent({"--config", path});
  WriteFile(path, std::string(3 * 1024 * 1024, '#'));
  agent.process().Signal(SIGHUP);
  auto line = agent.process().WaitForLine("reload failed", 10s);
  ASSERT_TRUE(line) << agent.process().Output();
  EXPECT_THAT(*line, HasSubstr("the configuration file is 3 MiB, more than the 1 MiB it may have"));
  EXPECT_EQ(HttpRequest(agent.base_url() + "/health").status, 200);
}
