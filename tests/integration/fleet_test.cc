// The fleet end to end (doc/fleet.md): a master and agents on loopback with a CA made in the
// test, slothctl as an operator, a real Prometheus discovering the agents through the master.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/fleet.h"
#include "tests/integration/prometheus_server.h"

namespace sloth::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A master and three agents, all registered.
class ThreeAgents : public ::testing::Test {
 protected:
  void SetUp() override {
    fleet.StartMaster();
    for (const char* name : {"a1", "a2", "a3"}) fleet.StartAgent(name, "", "labels = { env = \"test\" }");
    for (const char* name : {"a1", "a2", "a3"}) ASSERT_TRUE(fleet.WaitRegistered(name)) << fleet.master().Output();
  }
  Fleet fleet;
};

TEST_F(ThreeAgents, AgentListShowsThreeUp) {
  const auto agents = fleet.Agents();
  ASSERT_EQ(agents.size(), 3u);
  for (const char* name : {"a1", "a2", "a3"}) {
    EXPECT_EQ(agents.at(name)["status"], "up") << agents.at(name);
    EXPECT_EQ(agents.at(name)["metrics_url"], fleet.agent(name).metrics_url());
    EXPECT_EQ(agents.at(name)["labels"]["env"], "test");
  }
  const CtlResult table = fleet.Ctl({"agent", "list"});
  EXPECT_EQ(table.exit_code, 0) << table.output;
  EXPECT_THAT(table.output, HasSubstr("3 agents: 3 up, 0 down, 0 gone.")) << table.output;
  EXPECT_EQ(fleet.MasterMetric("sloth_master_agents{status=\"up\"}"), 3);
}

TEST_F(ThreeAgents, AgentRunByNameStreamsOutputAndExitCodeThroughTheMaster) {
  const CtlResult run = fleet.Ctl({"agent", "run", "a2", "echo to-out; echo to-err >&2; exit 7"});
  EXPECT_EQ(run.exit_code, 7) << run.output;
  EXPECT_THAT(run.output, HasSubstr("to-out\n"));
  EXPECT_THAT(run.output, HasSubstr("to-err\n"));
  // The agent ran it for the operator the master authenticated, and its journal record says so.
  EXPECT_TRUE(fleet.agent("a2").process().WaitForLine("SLOTH_STATUS=failed SLOTH_EXIT_CODE=7 SLOTH_CALLER=cert:alice"))
      << fleet.agent("a2").process().Output();
  EXPECT_TRUE(fleet.master().WaitForLine("RunTask on agent a2 by cert:alice")) << fleet.master().Output();
  EXPECT_GE(fleet.MasterMetric("sloth_master_relayed_calls_total{code=\"OK\",method=\"RunTask\"}"), 1);
  // The caller is counted by identity too.
  EXPECT_GE(fleet.MasterMetric("sloth_master_calls_total{caller=\"cert:alice\",method=\"RunTask\"}"), 1);

  // Every command that takes <agent> goes the same way: info, tasks, cancel's refusal.
  const CtlResult info = fleet.Ctl({"-o", "json", "agent", "info", "a3"});
  ASSERT_EQ(info.exit_code, 0) << info.output;
  EXPECT_EQ(nlohmann::json::parse(info.output)["name"], "a3");
  const CtlResult tasks = fleet.Ctl({"-o", "json", "agent", "tasks", "a2"});
  ASSERT_EQ(tasks.exit_code, 0) << tasks.output;
  EXPECT_EQ(nlohmann::json::parse(tasks.output)["tasks"].size(), 1u);
  const CtlResult missing = fleet.Ctl({"agent", "run", "nosuch", "true"});
  EXPECT_EQ(missing.exit_code, 69) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("no agent named 'nosuch' is registered"));
}

TEST_F(ThreeAgents, ABearerTokenIsAnOperatorToo) {
  const std::string line = fleet.MakeCerts({"token", "ci"});
  WriteFile(fleet.dir().File("tokens"), line);
  fleet.KillMaster();
  fleet.StartMaster();  // reads the tokens file at start
  ASSERT_TRUE(fleet.WaitRegistered("a1", 2));
  const CtlResult run =
      fleet.CtlWith({"--master-token-file", fleet.Pki("ci.token")}, {"agent", "run", "a1", "echo ok"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("ok\n"));
  EXPECT_TRUE(fleet.agent("a1").process().WaitForLine("SLOTH_CALLER=token:ci")) << fleet.agent("a1").process().Output();
  std::ifstream file(fleet.Pki("ci.token"));
  std::string token((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const CtlResult from_env = fleet.CtlWith({}, {"agent", "list"}, {"SLOTH_TOKEN=" + token});
  EXPECT_EQ(from_env.exit_code, 0) << from_env.output;
}

TEST_F(ThreeAgents, SlothctlFindsTheMasterAndItsCredentialsInItsOwnFile) {
  // slothctl.toml's [master]: what an administrator puts in /etc/sloth/slothctl.toml for every
  // operator (here through --config; ~/.config/sloth/slothctl.toml takes the same table).
  WriteFile(fleet.dir().File("slothctl.toml"), "[master]\naddress = \"" + fleet.master_address() + "\"\ncacert = \"" +
                                                   fleet.Pki("ca.crt") + "\"\ncert = \"" + fleet.Pki("alice.crt") +
                                                   "\"\nkey = \"" + fleet.Pki("alice.key") + "\"\n");
  ChildProcess run(SLOTHCTL_PATH, {"--socket", fleet.dir().File("none.sock"), "--config",
                                   fleet.dir().File("slothctl.toml"), "agent", "run", "a3", "echo via-file"});
  EXPECT_EQ(run.WaitExit(), 0) << run.Output();
  EXPECT_THAT(run.Output(), HasSubstr("via-file\n"));
  EXPECT_TRUE(fleet.agent("a3").process().WaitForLine("SLOTH_CALLER=cert:alice"))
      << fleet.agent("a3").process().Output();

  WriteFile(fleet.dir().File("bad.toml"),
            "[master]\naddress = \"" + fleet.master_address() + "\"\ncert_file = \"x\"\n");
  ChildProcess bad(SLOTHCTL_PATH, {"--socket", fleet.dir().File("none.sock"), "--config", fleet.dir().File("bad.toml"),
                                   "agent", "list"});
  EXPECT_EQ(bad.WaitExit(), 2) << bad.Output();
  EXPECT_THAT(bad.Output(), HasSubstr(fleet.dir().File("bad.toml") + ":3:1: master.cert_file: unknown key"));
}

TEST_F(ThreeAgents, MasterRestartedAgentsReturnAndATaskInFlightEndsWithAClearError) {
  ChildProcess run(SLOTHCTL_PATH,
                   {"--socket", fleet.dir().File("none.sock"), "--master", fleet.master_address(), "--master-cacert",
                    fleet.Pki("ca.crt"), "--master-cert", fleet.Pki("alice.crt"), "--master-key",
                    fleet.Pki("alice.key"), "agent", "run", "a1", "echo started; sleep 60"});
  ASSERT_TRUE(run.WaitForLine("started")) << run.Output();
  fleet.KillMaster();
  // Not a hang: the stream's end is the operator's answer.
  EXPECT_EQ(run.WaitExit(), 69) << run.Output();
  EXPECT_THAT(run.Output(), HasSubstr("the connection ended before the task did")) << run.Output();
  EXPECT_THAT(run.Output(), HasSubstr("slothctl agent tasks a1")) << run.Output();

  // a3 goes while the master is away: the restarted master knows it from its registry.
  fleet.StopAgent("a3");
  fleet.StartMaster();
  for (const char* name : {"a1", "a2"}) EXPECT_TRUE(fleet.WaitRegistered(name, 2)) << name;
  auto agents = fleet.Agents();
  EXPECT_EQ(agents.at("a1")["status"], "up");
  EXPECT_EQ(agents.at("a2")["status"], "up");
  EXPECT_EQ(agents.at("a3")["status"], "down") << agents.at("a3");
  const CtlResult again = fleet.Ctl({"agent", "run", "a2", "echo back"});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  const CtlResult gone = fleet.Ctl({"agent", "run", "a3", "true"});
  EXPECT_EQ(gone.exit_code, 69) << gone.output;
  EXPECT_THAT(gone.output, HasSubstr("agent 'a3' is down")) << gone.output;
}

TEST_F(ThreeAgents, AnAgentThatStopsAnsweringIsDownAfterMissedHeartbeatsThenUpAgain) {
  fleet.agent("a1").process().Signal(SIGSTOP);
  ASSERT_TRUE(fleet.master().WaitForLine("agent a1 is down: no heartbeat for")) << fleet.master().Output();
  EXPECT_EQ(fleet.Agents().at("a1")["status"], "down");
  EXPECT_EQ(fleet.MasterMetric("sloth_master_agents{status=\"down\"}"), 1);
  fleet.agent("a1").process().Signal(SIGCONT);
  ASSERT_TRUE(fleet.master().WaitForNthLine("agent a1 is up", 2)) << fleet.master().Output();
  EXPECT_EQ(fleet.Agents().at("a1")["status"], "up");

  // Killed: down at once (its stream ended), up again once it runs again.
  fleet.agent("a2").process().Signal(SIGKILL);
  ASSERT_TRUE(fleet.master().WaitForLine("agent a2 is down: its stream ended")) << fleet.master().Output();
  fleet.StartAgent("a2");
  ASSERT_TRUE(fleet.master().WaitForNthLine("agent a2 is up", 2)) << fleet.master().Output();
  EXPECT_EQ(fleet.Agents().at("a2")["status"], "up");
}

TEST_F(ThreeAgents, AStoppedAgentIsGoneAndARemovedOneRegistersAgain) {
  fleet.agent("a3").process().Signal(SIGTERM);
  ASSERT_EQ(fleet.agent("a3").process().WaitExit(), 0);
  ASSERT_TRUE(fleet.master().WaitForLine("agent a3 is gone")) << fleet.master().Output();
  EXPECT_EQ(fleet.Agents().at("a3")["status"], "gone");

  const CtlResult removed = fleet.Ctl({"agent", "remove", "a2"});
  EXPECT_EQ(removed.exit_code, 0) << removed.output;
  EXPECT_THAT(removed.output, HasSubstr("it was connected"));
  ASSERT_TRUE(fleet.WaitRegistered("a2", 2)) << fleet.agent("a2").process().Output();
  EXPECT_EQ(fleet.Agents().at("a2")["status"], "up");
}

TEST_F(ThreeAgents, WrongCredentialsAreRefusedAndCounted) {
  // A certificate from another CA: the TLS handshake refuses it.
  fleet.MakeCerts({"ca"}, "rogue");
  fleet.MakeCerts({"operator", "alice"}, "rogue");
  const CtlResult rogue = fleet.CtlWith(
      {"--master-cert", fleet.dir().File("rogue/alice.crt"), "--master-key", fleet.dir().File("rogue/alice.key")},
      {"agent", "list"});
  EXPECT_NE(rogue.exit_code, 0) << rogue.output;
  // No certificate and no token.
  const CtlResult anonymous = fleet.CtlWith({}, {"agent", "list"});
  EXPECT_EQ(anonymous.exit_code, 1) << anonymous.output;
  EXPECT_THAT(anonymous.output, HasSubstr("no client certificate and no bearer token"));
  // A wrong token.
  const CtlResult wrong = fleet.CtlWith({}, {"agent", "run", "a1", "true"}, {"SLOTH_TOKEN=not-a-token"});
  EXPECT_NE(wrong.exit_code, 0) << wrong.output;
  EXPECT_THAT(wrong.output, HasSubstr("bearer token is not one the master knows"));
  // An agent's certificate is not an operator's.
  const CtlResult agent_as_operator =
      fleet.CtlWith({"--master-cert", fleet.Pki("a1.crt"), "--master-key", fleet.Pki("a1.key")}, {"agent", "list"});
  EXPECT_EQ(agent_as_operator.exit_code, 1) << agent_as_operator.output;
  EXPECT_THAT(agent_as_operator.output, HasSubstr("is not an operator's"));
  // a1's certificate used to register another name.
  fleet.StartAgent("a9", "a1");
  ASSERT_TRUE(fleet.master().WaitForLine("refused the registration of agent 'a9'")) << fleet.master().Output();
  EXPECT_THAT(fleet.master().Output(), HasSubstr("the client certificate names CN a1, DNS a1, not agent 'a9'"));
  EXPECT_EQ(fleet.Agents().count("a9"), 0u);

  EXPECT_GE(fleet.MasterMetric("sloth_master_auth_failures_total{reason=\"tls_handshake\"}"), 1);
  EXPECT_GE(fleet.MasterMetric("sloth_master_auth_failures_total{reason=\"no_credentials\"}"), 1);
  EXPECT_GE(fleet.MasterMetric("sloth_master_auth_failures_total{reason=\"bad_token\"}"), 1);
  EXPECT_GE(fleet.MasterMetric("sloth_master_auth_failures_total{reason=\"not_operator\"}"), 1);
  EXPECT_GE(fleet.MasterMetric("sloth_master_auth_failures_total{reason=\"identity_mismatch\"}"), 1);
}

// The relabelling of the shipped example's slothd-sd job (etc/prometheus/slothd-scrape.yml).
std::string ShippedServiceDiscoveryRelabelling() {
  std::ifstream file(SLOTH_PROMETHEUS_DIR "/slothd-scrape.yml");
  std::stringstream text;
  text << file.rdbuf();
  const std::string yaml = text.str();
  const auto job = yaml.find("- job_name: slothd-sd");
  const auto relabel = yaml.find("    relabel_configs:", job);
  if (job == std::string::npos || relabel == std::string::npos) return "";
  return yaml.substr(relabel);
}

TEST_F(ThreeAgents, PrometheusFindsAndScrapesEveryAgentThroughServiceDiscovery) {
  const auto sd = HttpRequest(fleet.master_http() + "/sd");
  ASSERT_EQ(sd.status, 200);
  const auto groups = nlohmann::json::parse(sd.body);
  ASSERT_EQ(groups.size(), 3u) << sd.body;
  EXPECT_EQ(groups[0]["labels"]["__meta_sloth_agent"], "a1");
  EXPECT_EQ(groups[0]["labels"]["__meta_sloth_status"], "up");
  EXPECT_EQ(groups[0]["labels"]["__meta_sloth_label_env"], "test");

  const std::string relabelling = ShippedServiceDiscoveryRelabelling();
  ASSERT_FALSE(relabelling.empty());
  PrometheusServer prometheus("  - job_name: slothd-sd\n    http_sd_configs:\n      - url: " + fleet.master_http() +
                                  "/sd\n        refresh_interval: 1s\n" + relabelling,
                              {});
  const auto answer = prometheus.QueryUntil(
      "up{job=\"slothd\"} == 1",
      [](const nlohmann::json& a) { return HasResult(a) && a["data"]["result"].size() == 3; },
      std::chrono::seconds(60));
  ASSERT_TRUE(HasResult(answer)) << answer.dump() << prometheus.Output();
  std::set<std::string> seen;
  for (const auto& series : answer["data"]["result"]) {
    seen.insert(series["metric"]["agent"].get<std::string>());
    EXPECT_EQ(series["metric"]["env"], "test") << series;
  }
  EXPECT_EQ(seen, (std::set<std::string>{"a1", "a2", "a3"}));
}

TEST_F(ThreeAgents, MetricsPromByNamePrintsTheAgentsRealEndpoint) {
  const CtlResult prom = fleet.Ctl({"metrics", "prom", "a2"});
  ASSERT_EQ(prom.exit_code, 0) << prom.output;
  EXPECT_THAT(prom.output, HasSubstr("URL: " + fleet.agent("a2").metrics_url()));
  const std::string url = fleet.agent("a2").metrics_url();
  const std::string host_port = url.substr(7, url.rfind("/metrics") - 7);
  EXPECT_THAT(prom.output, HasSubstr("- targets: ['" + host_port + "']"));
  EXPECT_THAT(host_port, Not(HasSubstr(":9090")));
}

TEST_F(ThreeAgents, FleetDashboardRowsAgentsAndRelaysWhenAnEndpointIsUnreachable) {
  // a4 reports a metrics URL no one can reach (TEST-NET-1): the master relays its GetMetrics.
  fleet.StartAgent("a4", "", "\n[telemetry]\nadvertise_address = \"192.0.2.1\"");
  ASSERT_TRUE(fleet.WaitRegistered("a4"));
  ASSERT_EQ(fleet.Ctl({"agent", "run", "a1", "true"}).exit_code, 0);
  const CtlResult dashboard = fleet.Ctl({"-o", "json", "metrics", "grafana", "--all"});
  ASSERT_EQ(dashboard.exit_code, 0) << dashboard.output;
  const auto model = nlohmann::json::parse(dashboard.output);
  ASSERT_EQ(model["agents"].size(), 4u) << model;
  EXPECT_EQ(model["answered"], 4);
  for (const auto& row : model["agents"]) {
    EXPECT_TRUE(row["answered"].get<bool>()) << row;
    EXPECT_EQ(row["source"], row["agent"] == "a4" ? "master" : "direct") << row;
  }
  EXPECT_EQ(model["agents"][0]["tasks_total"], 1);
  // The single view of a4 reads it through the master too.
  const CtlResult single = fleet.Ctl({"-o", "json", "metrics", "grafana", "a4"});
  ASSERT_EQ(single.exit_code, 0) << single.output;
  EXPECT_EQ(nlohmann::json::parse(single.output)["header"]["agent"], "a4");
}

TEST(Fleet, AnAgentThatDoesNotAnswerDoesNotStallTheFleetFrame) {
  // Heartbeats far apart: a stopped agent stays `up` on the master while it cannot answer.
  Fleet fleet(Fleet::Options{"10s", 3});
  fleet.StartMaster();
  fleet.StartAgent("fast");
  fleet.StartAgent("stuck");
  ASSERT_TRUE(fleet.WaitRegistered("fast"));
  ASSERT_TRUE(fleet.WaitRegistered("stuck"));
  fleet.agent("stuck").process().Signal(SIGSTOP);
  // --timeout 60s: only the frame's own deadline can end the stuck agent's scrape.
  const CtlResult frame = fleet.Ctl({"--timeout", "60s", "--no-color", "metrics", "grafana", "--all"}, {"COLUMNS=160"});
  fleet.agent("stuck").process().Signal(SIGCONT);
  ASSERT_EQ(frame.exit_code, 0) << frame.output;
  EXPECT_THAT(frame.output, HasSubstr("1 of 2 up answered within 2.00s")) << frame.output;
  EXPECT_THAT(frame.output, HasSubstr("no answer")) << frame.output;
}

TEST(Fleet, ATcpListenerWithoutCredentialsRefusesToStart) {
  TempDir dir;
  WriteFile(dir.File("master.toml"), "[master]\nport = 0\nstate_dir = \"" + dir.File("state") + "\"\n");
  ChildProcess master(SlothdPath(), {"--role", "master", "--config", dir.File("master.toml")});
  EXPECT_EQ(master.WaitExit(), 2);
  EXPECT_THAT(master.Output(), HasSubstr("master.cert: the master's certificate (PEM) is not set"));
  EXPECT_THAT(master.Output(), HasSubstr("write [master] insecure = true"));

  WriteFile(dir.File("agent.toml"), "[agent]\nmaster = \"127.0.0.1:1\"\n");
  ChildProcess agent(SlothdPath(), {"--config", dir.File("agent.toml"), "--state-dir", dir.File("agent")});
  EXPECT_EQ(agent.WaitExit(), 2);
  EXPECT_THAT(agent.Output(), HasSubstr("agent.master_ca"));

  // Written out, plaintext is allowed, and said loudly.
  WriteFile(dir.File("insecure.toml"), "[master]\naddress = \"127.0.0.1\"\nport = 0\ninsecure = true\nstate_dir = \"" +
                                           dir.File("state") + "\"\n[telemetry]\naddress = \"127.0.0.1\"\nport = 0\n");
  ChildProcess insecure(SlothdPath(), {"--role", "master", "--config", dir.File("insecure.toml")});
  EXPECT_TRUE(insecure.WaitForLine("INSECURE: no TLS, no authentication")) << insecure.Output();
}

TEST_F(ThreeAgents, FleetDashboardWatchInTmux) {
  if (RunCommand("command -v tmux >/dev/null") != 0) GTEST_SKIP() << "tmux not installed";
  const std::string server = "fleet-" + std::to_string(::getpid());
  auto tmux = [&](const std::string& args) { return "tmux -L " + server + " -f /dev/null " + args; };
  const std::string ctl = std::string(SLOTHCTL_PATH) + " --socket " + fleet.dir().File("none.sock") + " --master " +
                          fleet.master_address() + " --master-cacert " + fleet.Pki("ca.crt") + " --master-cert " +
                          fleet.Pki("alice.crt") + " --master-key " + fleet.Pki("alice.key");
  ASSERT_EQ(RunCommand(tmux("new-session -d -s dash -x 140 -y 30 \"env LANG=C.UTF-8 TERM=xterm-256color " + ctl +
                            " metrics grafana --all --watch --interval 0.5; exec sleep 600\"")),
            0);
  struct KillServer {
    std::string command;
    ~KillServer() { RunCommand(command + " 2>/dev/null"); }
  } kill_server{tmux("kill-server")};
  auto pane = [&] {
    std::string out;
    RunCommand(tmux("capture-pane -p -t dash"), &out);
    return out;
  };
  auto wait_for = [&](const std::string& text) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
      if (pane().find(text) != std::string::npos) return true;
      ::usleep(50 * 1000);
    }
    return false;
  };
  ASSERT_TRUE(wait_for("fleet of 3 agents")) << pane();
  ASSERT_TRUE(wait_for("3 of 3 up answered")) << pane();
  for (const char* name : {"a1", "a2", "a3"}) EXPECT_THAT(pane(), HasSubstr(name));
  // A task on a2 shows in its row at the next refresh.
  ASSERT_EQ(fleet.Ctl({"agent", "run", "a2", "exit 1"}).exit_code, 1);
  EXPECT_TRUE(wait_for(" 0% ")) << pane();
  // An agent killed shows as down.
  fleet.agent("a3").process().Signal(SIGKILL);
  EXPECT_TRUE(wait_for("1 down")) << pane();
  ASSERT_EQ(RunCommand(tmux("send-keys -t dash q")), 0);
  std::string alternate;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    RunCommand(tmux("display -p -t dash '#{alternate_on}'"), &alternate);
  } while (alternate.rfind("0", 0) != 0 && std::chrono::steady_clock::now() < until && ::usleep(50 * 1000) == 0);
  EXPECT_EQ(alternate.substr(0, 1), "0") << "still in the alternate screen after q";
}

}  // namespace
}  // namespace sloth::test
