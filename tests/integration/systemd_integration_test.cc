// slothd as a systemd service, without a PID-1 systemd (the fast tier): a real NOTIFY_SOCKET
// listener, systemd-socket-activate passing both sockets, SIGHUP reloads and SIGTERM policies.
// The real-systemd tier is tests/system/nspawn_test.sh.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sloth/v1/agent.grpc.pb.h"
#include "tests/integration/agent_rpc.h"
#include "tests/integration/harness.h"
#include "tests/integration/notify_listener.h"

using namespace sloth::test;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

// Starts a task and returns once its id is known; the stream stays open in `call`.
struct RunningTask {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<sloth::v1::RunTaskEvent>> reader;
  std::string id;
  sloth::v1::TaskResult Finish() {
    sloth::v1::RunTaskEvent event;
    sloth::v1::TaskResult result;
    while (reader->Read(&event)) {
      if (event.has_result()) result = event.result();
    }
    reader->Finish();
    return result;
  }
};

std::unique_ptr<RunningTask> StartTask(sloth::v1::Agent::Stub& stub, const std::string& command) {
  auto task = std::make_unique<RunningTask>();
  sloth::v1::RunTaskRequest request;
  request.set_command(command);
  task->reader = stub.RunTask(&task->context, request);
  sloth::v1::RunTaskEvent event;
  while (task->id.empty() && task->reader->Read(&event)) {
    if (event.has_started()) task->id = event.started().id();
  }
  return task;
}

}  // namespace

TEST(SystemdNotify, ReadyAfterListenersThenReloadingThenStopping) {
  TempDir dir;
  NotifyListener notify(dir.File("notify.sock"));
  Slothd agent({"--name", "notified"}, /*wait_ready=*/false, {notify.env()});
  const std::string ready = notify.WaitForContaining("READY=1");
  ASSERT_FALSE(ready.empty()) << agent.process().Output();
  EXPECT_THAT(ready, HasSubstr("STATUS=agent notified: 0 tasks running"));
  // READY=1 means serving: both listeners answer at once, with no retry.
  auto line = agent.process().WaitForLine(" ready ");
  ASSERT_TRUE(line);
  const std::string url = line->substr(line->find("SLOTH_METRICS_URL=") + 18);
  EXPECT_EQ(HttpRequest(url.substr(0, url.find_first_of(" )"))).status, 200);
  grpc::ClientContext context;
  sloth::v1::Health health;
  EXPECT_TRUE(ConnectAgent(agent.control_socket())->GetHealth(&context, {}, &health).ok());

  agent.process().Signal(SIGHUP);
  const std::string reloading = notify.WaitForContaining("RELOADING=1");
  ASSERT_FALSE(reloading.empty());
  EXPECT_THAT(reloading, HasSubstr("MONOTONIC_USEC="));
  ASSERT_TRUE(notify.WaitForCount("READY=1", 2, 20s)) << "READY=1 again after the reload";

  agent.process().Signal(SIGTERM);
  EXPECT_THAT(notify.WaitForContaining("STOPPING=1"), HasSubstr("STATUS=stopping"));
  EXPECT_EQ(agent.process().WaitExit(10s), 0);
  // Order: READY, RELOADING, READY, STOPPING.
  std::string order;
  for (const auto& m : notify.Messages()) {
    if (m.find("RELOADING=1") != std::string::npos)
      order += "R";
    else if (m.find("READY=1") != std::string::npos)
      order += "Y";
    else if (m.find("STOPPING=1") != std::string::npos)
      order += "S";
  }
  EXPECT_EQ(order, "YRYS");
}

TEST(SystemdNotify, StatusFollowsRunningTasks) {
  TempDir dir;
  NotifyListener notify(dir.File("notify.sock"));
  Slothd agent({"--name", "busy"}, /*wait_ready=*/true, {notify.env()});
  auto stub = ConnectAgent(agent.control_socket());
  auto task = StartTask(*stub, "sleep 30");
  EXPECT_FALSE(notify.WaitForContaining("STATUS=agent busy: 1 task running").empty());
  grpc::ClientContext context;
  sloth::v1::CancelTaskRequest cancel;
  cancel.set_id(task->id);
  sloth::v1::CancelTaskResponse reply;
  ASSERT_TRUE(stub->CancelTask(&context, cancel, &reply).ok());
  task->Finish();
  EXPECT_TRUE(notify.WaitForCount("STATUS=agent busy: 0 tasks running", 2, 20s));
}

TEST(SystemdNotify, WatchdogPingsAtHalfTheInterval) {
  TempDir dir;
  NotifyListener notify(dir.File("notify.sock"));
  // 200 ms: pings every 100 ms from the main loop.
  Slothd agent({}, /*wait_ready=*/true, {notify.env(), "WATCHDOG_USEC=200000"});
  EXPECT_TRUE(notify.WaitForCount("WATCHDOG=1", 5, 10s)) << notify.Count("WATCHDOG=1") << " pings";
  // A stopped main loop stops pinging (what makes systemd kill a hung daemon).
  agent.process().Signal(SIGSTOP);
  const size_t frozen = notify.Count("WATCHDOG=1");
  EXPECT_FALSE(notify.WaitForCount("WATCHDOG=1", frozen + 2, 500ms));
  agent.process().Signal(SIGCONT);
  EXPECT_TRUE(notify.WaitForCount("WATCHDOG=1", frozen + 3, 10s));
}

TEST(SystemdSocketActivation, AdoptsBothPassedSocketsAndStartsOnFirstConnection) {
  TempDir dir;
  NotifyListener notify(dir.File("notify.sock"));
  const std::string control = dir.File("activated.sock");
  const uint16_t port = FreePort();
  WriteFile(dir.File("empty.toml"), "");
  ChildProcess activator(
      "/usr/bin/systemd-socket-activate",
      {"-l", control, "-l", "127.0.0.1:" + std::to_string(port), "--fdname=control:metrics", "-E", notify.env(), "--",
       SlothdPath(), "--config", dir.File("empty.toml"), "--name", "activated", "--state-dir", dir.File("state"),
       // Deliberately different: passed sockets win over the configuration.
       "--control-socket", dir.File("unused.sock"), "--metrics-port", "1"});
  ASSERT_TRUE(activator.WaitForLine("Listening on")) << activator.Output();
  // Lazy: nothing has started slothd yet.
  EXPECT_EQ(notify.Count("READY=1"), 0u);
  // The first connection, on the metrics socket, starts it.
  auto r = HttpRequest("http://127.0.0.1:" + std::to_string(port) + "/info");
  ASSERT_EQ(r.status, 200) << r.error << activator.Output();
  EXPECT_FALSE(notify.WaitForContaining("READY=1").empty());
  auto info = nlohmann::json::parse(r.body);
  EXPECT_EQ(info["name"], "activated");
  EXPECT_EQ(info["control_socket"], control);
  EXPECT_EQ(info["metrics_url"], "http://127.0.0.1:" + std::to_string(port) + "/metrics");
  EXPECT_FALSE(std::filesystem::exists(dir.File("unused.sock")));
  // The passed control socket serves the control plane.
  grpc::ClientContext context;
  sloth::v1::AgentInfo agent_info;
  ASSERT_TRUE(ConnectAgent(control)->GetInfo(&context, {}, &agent_info).ok());
  EXPECT_EQ(agent_info.name(), "activated");
  activator.Signal(SIGTERM);
  EXPECT_EQ(activator.WaitExit(10s), 0);
  EXPECT_TRUE(std::filesystem::exists(control)) << "a passed socket belongs to systemd: never unlinked";
}

// slothd configured by its file alone (flags would override the file on reload too).
struct FileConfiguredSlothd {
  TempDir dir;
  std::string file = dir.File("slothd.toml");
  std::unique_ptr<ChildProcess> process;
  std::string metrics_url;

  void Start(const std::string& toml, std::vector<std::string> env = {}) {
    WriteFile(file, toml);
    process = std::make_unique<ChildProcess>(
        SlothdPath(), std::vector<std::string>{"--config", file, "--state-dir", dir.File("state")}, env);
    auto line = process->WaitForLine(" ready ");
    ASSERT_TRUE(line) << process->Output();
    const std::string url = line->substr(line->find("SLOTH_METRICS_URL=") + 18);
    metrics_url = url.substr(0, url.find_first_of(" )"));
  }
  std::string Toml(const std::string& socket, uint16_t port, const std::string& extra = "") const {
    return "[agent]\ncontrol_socket = \"" + socket + "\"\n" + extra +
           "[telemetry]\naddress = \"127.0.0.1\"\nport = " + std::to_string(port) + "\n";
  }
};

TEST(SystemdReload, GoodConfigRebindsListenersWithoutDroppingTasks) {
  FileConfiguredSlothd agent;
  NotifyListener notify(agent.dir.File("notify.sock"));
  const std::string old_socket = agent.dir.File("old.sock");
  agent.Start(agent.Toml(old_socket, 0), {notify.env()});
  auto stub = ConnectAgent(old_socket);
  ::mkfifo(agent.dir.File("gate").c_str(), 0600);
  auto task = StartTask(*stub, "read line < " + agent.dir.File("gate") + "; echo survived");

  // Move the metrics port and the control socket.
  const uint16_t new_port = FreePort();
  const std::string new_socket = agent.dir.File("moved.sock");
  WriteFile(agent.file, agent.Toml(new_socket, new_port, "master = \"m.example:7\"\nmaster_insecure = true\n"));
  agent.process->Signal(SIGHUP);
  ASSERT_TRUE(agent.process->WaitForLine("configuration reloaded")) << agent.process->Output();
  ASSERT_TRUE(notify.WaitForCount("READY=1", 2, 20s));
  EXPECT_EQ(HttpRequest("http://127.0.0.1:" + std::to_string(new_port) + "/health").status, 200);
  EXPECT_NE(HttpRequest(agent.metrics_url).status, 200) << "the old port is closed";
  EXPECT_TRUE(std::filesystem::exists(new_socket));
  EXPECT_FALSE(std::filesystem::exists(old_socket));
  grpc::ClientContext context;
  sloth::v1::AgentInfo info;
  ASSERT_TRUE(ConnectAgent(new_socket)->GetInfo(&context, {}, &info).ok());
  EXPECT_EQ(info.control_socket(), new_socket);
  EXPECT_EQ(info.master(), "m.example:7");

  // The task started before the reload is still running, and finishes normally.
  WriteFile(agent.dir.File("gate"), "go\n");
  auto result = task->Finish();
  EXPECT_EQ(result.status(), sloth::v1::TASK_STATUS_SUCCESS) << result.reason();
}

TEST(SystemdReload, SameAddressHandsTheListeningSocketOver) {
  FileConfiguredSlothd agent;
  const uint16_t port = FreePort();
  agent.Start(agent.Toml(agent.dir.File("c.sock"), port));
  // Only a limit changes: the new HTTP server takes over the same socket; the port never closes.
  WriteFile(agent.file, agent.Toml(agent.dir.File("c.sock"), port) + "max_connections = 17\n");
  agent.process->Signal(SIGHUP);
  ASSERT_TRUE(agent.process->WaitForLine("configuration reloaded")) << agent.process->Output();
  EXPECT_EQ(HttpRequest(agent.metrics_url).status, 200);
}

TEST(SystemdReload, BadConfigKeepsTheRunningConfiguration) {
  FileConfiguredSlothd agent;
  const std::string socket = agent.dir.File("c.sock");
  agent.Start(agent.Toml(socket, 0, "master = \"m.example:1\"\nmaster_insecure = true\n"));
  const std::string base = agent.metrics_url.substr(0, agent.metrics_url.rfind('/'));
  WriteFile(agent.file, "[agent]\nmaster = \"m.example:2\"\n[telemetry]\nport = \"not a number\"\n");
  agent.process->Signal(SIGHUP);
  auto line = agent.process->WaitForLine("reload failed");
  ASSERT_TRUE(line) << agent.process->Output();
  EXPECT_THAT(*line, HasSubstr(agent.file + ":4:8: telemetry.port: expected an integer"));
  EXPECT_THAT(*line, HasSubstr("the running configuration stays"));
  auto info = nlohmann::json::parse(HttpRequest(base + "/info").body);
  EXPECT_EQ(info["master"], "m.example:1");
  EXPECT_THAT(HttpRequest(agent.metrics_url).body, HasSubstr("sloth_errors_total{type=\"config\"} 1\n"));

  // A port that cannot be bound fails the reload as a whole: nothing of it is applied.
  Slothd squatter;
  WriteFile(agent.file,
            agent.Toml(socket, PortOf(squatter.metrics_url()), "master = \"m.example:3\"\nmaster_insecure = true\n"));
  agent.process->Signal(SIGHUP);
  ASSERT_TRUE(agent.process->WaitForLine("Address already in use")) << agent.process->Output();
  info = nlohmann::json::parse(HttpRequest(base + "/info").body);
  EXPECT_EQ(info["master"], "m.example:1");
  EXPECT_EQ(HttpRequest(agent.metrics_url).status, 200);
}

TEST(SystemdStop, DrainPolicyLetsRunningTasksFinish) {
  TempDir conf;
  WriteFile(conf.File("drain.toml"), "[tasks]\non_stop = \"drain\"\ndrain_timeout = \"20s\"\n");
  Slothd agent({"--config", conf.File("drain.toml")});
  auto stub = ConnectAgent(agent.control_socket());
  ::mkfifo(conf.File("gate").c_str(), 0600);
  auto task = StartTask(*stub, "read line < " + conf.File("gate") + "; echo drained");
  agent.process().Signal(SIGTERM);
  ASSERT_TRUE(agent.process().WaitForLine("shutting down"));
  // The running task goes on while the agent drains.
  WriteFile(conf.File("gate"), "go\n");
  auto result = task->Finish();
  EXPECT_EQ(result.status(), sloth::v1::TASK_STATUS_SUCCESS) << result.reason();
  EXPECT_EQ(agent.process().WaitExit(20s), 0);
}

TEST(SystemdStop, CancelPolicyEndsRunningTasks) {
  Slothd agent;
  auto stub = ConnectAgent(agent.control_socket());
  auto task = StartTask(*stub, "sleep 60");
  agent.process().Signal(SIGTERM);
  auto result = task->Finish();
  EXPECT_TRUE(result.cancelled()) << result.reason();
  EXPECT_EQ(agent.process().WaitExit(20s), 0);
}
