// slothctl against a real slothd on a private control socket: what a user types, what they see,
// and the exit code scripts rely on.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness.h"
#include "tests/exposition_sample.h"

namespace sloth::test {
namespace {

CtlResult Slothctl(const Slothd& agent, std::vector<std::string> args) {
  return RunSlothctl(SLOTHCTL_PATH, agent, std::move(args));
}

TEST(Slothctl, AgentRun_StreamsBothStreamsAndExitsWithTheTaskCode) {
  Slothd agent({"--name", "build-01"});
  const auto r = Slothctl(agent, {"agent", "run", "build-01", "echo to-out; echo to-err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("to-out\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("to-err\n"), std::string::npos) << r.output;
}

TEST(Slothctl, AgentRun_TimeoutExits124AndSaysSo) {
  Slothd agent;
  const auto r = Slothctl(agent, {"agent", "run", "local", "sleep 30", "--timeout", "500ms"});
  EXPECT_EQ(r.exit_code, 124) << r.output;
  EXPECT_NE(r.output.find("timed out after 500ms"), std::string::npos) << r.output;
}

TEST(Slothctl, AgentRun_KilledBySignalExits128PlusN) {
  Slothd agent;
  const auto r = Slothctl(agent, {"agent", "run", ".", "kill -9 $$"});
  EXPECT_EQ(r.exit_code, 128 + SIGKILL) << r.output;
}

TEST(Slothctl, AgentRun_EnvAndWorkdirReachTheTask) {
  Slothd agent;
  const auto r =
      Slothctl(agent, {"agent", "run", "local", "echo $GREETING; pwd", "--env", "GREETING=hello", "--workdir", "/tmp"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "hello\n/tmp\n");
}

TEST(Slothctl, AgentRun_CtrlCCancelsTheTaskAndExits130) {
  Slothd agent;
  ChildProcess run(SLOTHCTL_PATH,
                   {"--socket", agent.control_socket(), "agent", "run", "local", "echo started; sleep 30"});
  ASSERT_TRUE(run.WaitForLine("started")) << run.Output();
  run.Signal(SIGINT);
  EXPECT_EQ(run.WaitExit(), 130) << run.Output();
  const auto tasks = Slothctl(agent, {"--output", "json", "agent", "tasks", "local"});
  ASSERT_EQ(tasks.exit_code, 0) << tasks.output;
  const auto json = nlohmann::json::parse(tasks.output);
  ASSERT_EQ(json["tasks"].size(), 1u) << tasks.output;
  EXPECT_EQ(json["tasks"][0]["status"], "cancelled") << tasks.output;
}

// A silent task's id comes in the started event only after a moment (ControlService::
// kStartedEventDelay); a Ctrl-C at once waits for it and then cancels the task all the same.
TEST(Slothctl, AgentRun_CtrlCAtTheStartOfASilentTaskCancelsIt) {
  Slothd agent;
  TempDir dir;
  const std::string fifo = dir.File("up");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int up = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(up, 0);
  ChildProcess run(SLOTHCTL_PATH,
                   {"--socket", agent.control_socket(), "agent", "run", "local", "echo > " + fifo + "; exec sleep 30"});
  pollfd p{up, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 20000), 1) << "the task did not start: " << run.Output();
  ::close(up);
  run.Signal(SIGINT);
  EXPECT_EQ(run.WaitExit(), 130) << run.Output();
  EXPECT_NE(run.Output().find(" cancelled"), std::string::npos) << run.Output();
  const auto tasks = Slothctl(agent, {"--output", "json", "agent", "tasks", "local"});
  ASSERT_EQ(tasks.exit_code, 0) << tasks.output;
  const auto json = nlohmann::json::parse(tasks.output);
  ASSERT_EQ(json["tasks"].size(), 1u) << tasks.output;
  EXPECT_EQ(json["tasks"][0]["status"], "cancelled") << tasks.output;
}

// A full queue refuses the request: no task (not listed, not in sloth_tasks_total), its own gRPC
// status and exit code (75), counted in sloth_errors_total. A user tasks may not run as: 77.
TEST(Slothctl, AgentRun_ARefusalIsNoTaskAndHasItsOwnExitCode) {
  TempDir dir;
  WriteFile(dir.File("slothd.toml"), "[tasks]\nmax_concurrent = 1\nmax_queued = 0\n");
  Slothd agent({"--config", dir.File("slothd.toml")});
  const std::string gate = dir.File("gate");
  ASSERT_EQ(::mkfifo(gate.c_str(), 0600), 0);
  ChildProcess holder(SLOTHCTL_PATH,
                      {"--socket", agent.control_socket(), "agent", "run", "local", "echo holding; read x < " + gate});
  ASSERT_TRUE(holder.WaitForLine("holding")) << holder.Output();

  for (int i = 0; i < 3; ++i) {
    const auto refused = Slothctl(agent, {"agent", "run", "local", "touch " + dir.File("ran")});
    EXPECT_EQ(refused.exit_code, 75) << refused.output;
    EXPECT_NE(refused.output.find("slothctl: agent 'local' refused the task, which did not run: queue full: 1 tasks "
                                  "running (max_concurrent), 0 waiting (max_queued); try again later"),
              std::string::npos)
        << refused.output;
  }
  const auto other_user = Slothctl(agent, {"agent", "run", "--user", "nobody", "local", "touch " + dir.File("ran")});
  EXPECT_EQ(other_user.exit_code, 77) << other_user.output;

  WriteFile(gate, "go\n");
  EXPECT_EQ(holder.WaitExit(), 0) << holder.Output();
  EXPECT_FALSE(std::filesystem::exists(dir.File("ran")));
  const auto tasks = Slothctl(agent, {"--output", "json", "agent", "tasks", "local"});
  ASSERT_EQ(tasks.exit_code, 0) << tasks.output;
  EXPECT_EQ(nlohmann::json::parse(tasks.output)["tasks"].size(), 1u) << tasks.output;  // the holder alone
  const std::string metrics = HttpRequest(agent.metrics_url()).body;
  EXPECT_EQ(test::Sample(metrics, "sloth_tasks_total", {R"(status="success")"}), 1) << metrics;
  EXPECT_LT(test::Sample(metrics, "sloth_tasks_total", {R"(status="failed")"}), 1) << metrics;
  EXPECT_EQ(test::Sample(metrics, "sloth_errors_total", {R"(type="task_refused")"}), 4) << metrics;
  const std::string run_task = R"(method="sloth.v1.Agent/RunTask")";
  EXPECT_EQ(test::Sample(metrics, "sloth_grpc_requests_total", {run_task, R"(status="RESOURCE_EXHAUSTED")"}), 3)
      << metrics;
  EXPECT_EQ(test::Sample(metrics, "sloth_grpc_requests_total", {run_task, R"(status="PERMISSION_DENIED")"}), 1)
      << metrics;
}

TEST(Slothctl, AgentRun_JsonPrintsTheResultWithItsOutput) {
  Slothd agent;
  const auto r = Slothctl(agent, {"agent", "run", "local", "echo hi", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto json = nlohmann::json::parse(r.output);
  EXPECT_EQ(json["status"], "success");
  EXPECT_EQ(json["exit_code"], 0);
  EXPECT_EQ(json["stdout"], "hi\n");
}

TEST(Slothctl, UnreachableSocketExits69WithOneActionableLine) {
  TempDir dir;
  ChildProcess ctl(SLOTHCTL_PATH, {"--socket", dir.File("missing.sock"), "agent", "info", "local"});
  EXPECT_EQ(ctl.WaitExit(), 69);
  const std::string out = ctl.Output();
  EXPECT_EQ(out, "slothctl: cannot reach agent 'local' at unix:" + dir.File("missing.sock") +
                     ": No such file or directory — is slothd running? pass --socket PATH or "
                     "set SLOTH_SOCKET\n");
}

TEST(Slothctl, OtherAgentNameIsNotFoundAndExits69) {
  Slothd agent({"--name", "build-01"});
  const auto r = Slothctl(agent, {"agent", "info", "web-1"});
  EXPECT_EQ(r.exit_code, 69) << r.output;
  EXPECT_NE(r.output.find("agent 'web-1' not found: the local agent at unix:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("is 'build-01'"), std::string::npos) << r.output;
}

TEST(Slothctl, AgentInfoHealthAndTasks) {
  Slothd agent({"--name", "build-01"});
  const auto info = Slothctl(agent, {"-o", "json", "agent", "info", "build-01"});
  ASSERT_EQ(info.exit_code, 0) << info.output;
  const auto json = nlohmann::json::parse(info.output);
  EXPECT_EQ(json["name"], "build-01");
  EXPECT_EQ(json["metrics_url"], agent.metrics_url());

  const auto health = Slothctl(agent, {"agent", "health", "build-01"});
  EXPECT_EQ(health.exit_code, 0) << health.output;
  EXPECT_EQ(health.output, "healthy\n");

  ASSERT_EQ(Slothctl(agent, {"agent", "run", "local", "true", "--name", "noop"}).exit_code, 0);
  const auto tasks = Slothctl(agent, {"agent", "tasks", "local"});
  EXPECT_EQ(tasks.exit_code, 0) << tasks.output;
  EXPECT_EQ(tasks.output.rfind("ID ", 0), 0u) << tasks.output;
  EXPECT_NE(tasks.output.find("noop"), std::string::npos) << tasks.output;
  EXPECT_NE(tasks.output.find("success"), std::string::npos) << tasks.output;
}

TEST(Slothctl, AgentRun_LimitsAndUsersTheAgentCannotHonourAreSaid) {
  Slothd agent;  // by hand: process mode
  const auto limited =
      Slothctl(agent, {"agent", "run", "--cpu-quota", "50%", "--memory-max", "64M", "local", "ulimit -v"});
  EXPECT_EQ(limited.exit_code, 0) << limited.output;
  EXPECT_NE(limited.output.find("65536\n"), std::string::npos) << limited.output;  // memory_max: RLIMIT_AS
  EXPECT_NE(limited.output.find("slothctl: warning: task t-"), std::string::npos) << limited.output;
  EXPECT_NE(limited.output.find(": cpu_quota=50% not enforced: process mode"), std::string::npos) << limited.output;

  const auto other_user = Slothctl(agent, {"agent", "run", "--user", "nobody", "local", "id"});
  EXPECT_EQ(other_user.exit_code, 77) << other_user.output;
  EXPECT_NE(other_user.output.find("did not run: user \"nobody\" is not allowed: tasks run as \"root\" ([tasks] user) "
                                   "or as one of [tasks] allowed_users (none listed)"),
            std::string::npos)
      << other_user.output;

  const auto bad = Slothctl(agent, {"agent", "run", "--memory-max", "lots", "local", "true"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("memory_max: expected a size such as \"512M\""), std::string::npos) << bad.output;
}

TEST(Slothctl, AgentInfoAndTasksShowWhereTasksRunAndWhatTheyUsed) {
  Slothd agent;
  const auto info = Slothctl(agent, {"agent", "info", "local"});
  EXPECT_NE(info.output.find("Tasks run: as the agent's own processes (process mode), as root"), std::string::npos)
      << info.output;
  EXPECT_NE(info.output.find("Limit cpu_quota: not enforced: process mode"), std::string::npos) << info.output;
  ASSERT_EQ(
      Slothctl(agent, {"agent", "run", "--name", "burn", "local", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"})
          .exit_code,
      0);
  const auto tasks = Slothctl(agent, {"-o", "json", "agent", "tasks", "local"});
  const auto json = nlohmann::json::parse(tasks.output);
  ASSERT_EQ(json["tasks"].size(), 1u);
  EXPECT_GT(json["tasks"][0]["cpu_seconds"].get<double>(), 0.0);
  EXPECT_GT(json["tasks"][0]["memory_peak_bytes"].get<uint64_t>(), 0u);
  const auto table = Slothctl(agent, {"agent", "tasks", "local"});
  EXPECT_NE(table.output.find(" CPU "), std::string::npos) << table.output;
  EXPECT_NE(table.output.find(" PEAK MEM "), std::string::npos) << table.output;
  EXPECT_NE(table.output.find(" MiB"), std::string::npos) << table.output;
}

TEST(Slothctl, AgentCancelUnknownTaskExits1WithTheReason) {
  Slothd agent;
  const auto r = Slothctl(agent, {"agent", "cancel", "local", "t-nope"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.rfind("slothctl: task t-nope was not cancelled: ", 0), 0u) << r.output;
}

TEST(Slothctl, MetricsProm_ShowsTheAgentsRealMetricsUrl) {
  Slothd agent;
  ASSERT_FALSE(agent.metrics_url().empty());
  const std::string target =
      agent.metrics_url().substr(7, agent.metrics_url().size() - 7 - std::string("/metrics").size());
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"metrics", "prom", "local", "--no-color"},
        std::vector<std::string>{"agent", "metrics", "prom", "local", "--no-color"}}) {
    const auto r = Slothctl(agent, command);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("  URL: " + agent.metrics_url() + "\n"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("- job_name: 'sloth-runner-agents'"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("targets: ['" + target + "']"), std::string::npos) << r.output;
  }
}

TEST(Slothctl, MetricsProm_TelemetryOffSuggestsSnapshot) {
  Slothd agent({"--telemetry=false"});
  const auto r = Slothctl(agent, {"metrics", "prom", "local"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("telemetry off"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--snapshot"), std::string::npos) << r.output;
}

TEST(Slothctl, MetricsPromSnapshot_OverTheSocketAndFromTheEndpoint) {
  Slothd agent;
  const auto socket = Slothctl(agent, {"metrics", "prom", "local", "--snapshot"});
  EXPECT_EQ(socket.exit_code, 0) << socket.output;
  EXPECT_NE(socket.output.find("# TYPE sloth_tasks_total counter"), std::string::npos);

  const auto http = Slothctl(agent, {"--endpoint", agent.base_url(), "metrics", "prom", "any", "--snapshot"});
  EXPECT_EQ(http.exit_code, 0) << http.output;
  EXPECT_NE(http.output.find("# TYPE sloth_tasks_total counter"), std::string::npos);
}

TEST(Slothctl, UsageErrorsExit2NamingTheFlag) {
  Slothd agent;
  auto r = Slothctl(agent, {"--timeout", "5", "agent", "info", "local"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output.rfind("slothctl: --timeout: ", 0), 0u) << r.output;
  r = Slothctl(agent, {"agent", "run", "local"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace sloth::test
