// Every process of a task ends with it (doc/RELIABILITY.md, defect 5), also one that left the
// task's process group and session (`setsid cmd &`): at the timeout, at a cancel, when the task
// ends, and after slothd itself was killed with SIGKILL and started again on the same state
// directory, which also remembers the tasks that had finished.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness.h"

namespace sloth::test {
namespace {

// The task's shell starts a process in a session of its own, which writes its pid to `pid_file`,
// then says "ready" once that is done and runs `rest`.
std::string EscapingTask(const std::string& pid_file, const std::string& rest) {
  return "setsid sh -c 'echo $$ > " + pid_file + "; exec sleep 300' & while [ ! -s " + pid_file +
         " ]; do sleep 0.01; done; echo ready; " + rest;
}

pid_t ReadPid(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

// True while `pid` runs: a zombie has ended (only its parent has not collected it yet).
bool Running(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

// Kills `pid` at the end of a test that failed to, so that no `sleep 300` outlives it.
struct KillAtEnd {
  std::string pid_file;
  ~KillAtEnd() {
    const pid_t pid = ReadPid(pid_file);
    if (pid > 0 && Running(pid)) ::kill(pid, SIGKILL);
  }
};

CtlResult Slothctl(const Slothd& agent, std::vector<std::string> args) {
  return RunSlothctl(SLOTHCTL_PATH, agent, std::move(args));
}

nlohmann::json Tasks(const Slothd& agent) {
  const auto listed = Slothctl(agent, {"--output", "json", "agent", "tasks", "local"});
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  return nlohmann::json::parse(listed.output)["tasks"];
}

TEST(TaskKill, ATimeoutKillsWhatLeftTheTasksSession) {
  Slothd agent({"--log-level", "notice"});
  TempDir dir;
  KillAtEnd cleanup{dir.File("pid")};
  const auto r =
      Slothctl(agent, {"agent", "run", "local", "--timeout", "2s", EscapingTask(dir.File("pid"), "sleep 300")});
  EXPECT_EQ(r.exit_code, 124) << r.output;
  const pid_t escaped = ReadPid(dir.File("pid"));
  ASSERT_GT(escaped, 0) << r.output;
  EXPECT_FALSE(Running(escaped)) << "pid " << escaped << " outlived its task's timeout";
}

TEST(TaskKill, ACancelKillsWhatLeftTheTasksSession) {
  Slothd agent({"--log-level", "notice"});
  TempDir dir;
  KillAtEnd cleanup{dir.File("pid")};
  ChildProcess run(SLOTHCTL_PATH, {"--socket", agent.control_socket(), "agent", "run", "local",
                                   EscapingTask(dir.File("pid"), "sleep 300")});
  ASSERT_TRUE(run.WaitForLine("ready")) << run.Output();
  const auto listed = Tasks(agent);
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  const auto cancelled = Slothctl(agent, {"agent", "cancel", "local", listed[0]["id"].get<std::string>()});
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.output;
  EXPECT_EQ(run.WaitExit(), 128 + SIGTERM) << run.Output();  // the stream ends once the task is gone
  const pid_t escaped = ReadPid(dir.File("pid"));
  ASSERT_GT(escaped, 0);
  EXPECT_FALSE(Running(escaped)) << "pid " << escaped << " outlived its task's cancel";
}

TEST(TaskKill, WhatATaskLeftBehindDiesWhenItEnds) {
  Slothd agent({"--log-level", "notice"});
  TempDir dir;
  KillAtEnd cleanup{dir.File("pid")};
  const auto r = Slothctl(agent, {"agent", "run", "local", EscapingTask(dir.File("pid"), "exit 0")});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const pid_t escaped = ReadPid(dir.File("pid"));
  ASSERT_GT(escaped, 0);
  EXPECT_FALSE(Running(escaped)) << "pid " << escaped << " outlived its task";
}

// slothd started by hand and killed with SIGKILL while a task runs: the next slothd on the same
// state directory kills what is left of the task before it is ready, reports it failed with the
// reason, and lists the tasks that had finished before.
TEST(TaskKill, AfterSlothdIsKilledTheRestartKillsItsTasksAndReportsThem) {
  TempDir dir;
  const std::string state = dir.File("state");
  KillAtEnd cleanup{dir.File("pid")};
  std::string running_id;
  {
    Slothd first({"--state-dir", state, "--log-level", "notice"});
    ASSERT_EQ(Slothctl(first, {"agent", "run", "local", "--name", "before", "echo done"}).exit_code, 0);
    ChildProcess run(SLOTHCTL_PATH, {"--socket", first.control_socket(), "agent", "run", "local", "--name",
                                     "interrupted", EscapingTask(dir.File("pid"), "sleep 300")});
    ASSERT_TRUE(run.WaitForLine("ready")) << run.Output();
    const auto listed = Tasks(first);
    ASSERT_EQ(listed.size(), 2u) << listed.dump();
    running_id = listed[0]["id"].get<std::string>();
    first.process().Signal(SIGKILL);
    ASSERT_EQ(first.process().WaitExit(), 128 + SIGKILL);
    EXPECT_NE(run.WaitExit(), 0) << run.Output();  // the agent went away mid-stream
  }
  const pid_t escaped = ReadPid(dir.File("pid"));
  ASSERT_GT(escaped, 0);
  ASSERT_TRUE(Running(escaped)) << "the test needs the task's processes to outlive the killed slothd";

  Slothd second({"--state-dir", state, "--log-level", "notice"});
  EXPECT_FALSE(Running(escaped)) << "pid " << escaped << " of a task of the killed slothd still runs";
  const auto listed = Tasks(second);
  ASSERT_EQ(listed.size(), 2u) << listed.dump();
  EXPECT_EQ(listed[0]["id"], running_id) << listed.dump();
  EXPECT_EQ(listed[0]["name"], "interrupted");
  EXPECT_EQ(listed[0]["status"], "failed");
  EXPECT_EQ(listed[0]["reason"],
            "slothd stopped unexpectedly (crash or kill -9) while the task ran; its processes were killed at restart");
  EXPECT_EQ(listed[1]["name"], "before");
  EXPECT_EQ(listed[1]["status"], "success");
  // Ids go on from the last one: a new task is not confused with a remembered one.
  ASSERT_EQ(Slothctl(second, {"agent", "run", "local", "true"}).exit_code, 0);
  const auto after = Tasks(second);
  ASSERT_EQ(after.size(), 3u) << after.dump();
  EXPECT_GT(after[0]["id"].get<std::string>(), running_id);
}

}  // namespace
}  // namespace sloth::test
