// Workflows over D-Bus for real: a private system bus with the shipped policy, slothd owning
// org.slothrunner.Agent1 on it, a sdbus-c++ proxy reading the workflow signals, `slothctl --via
// dbus run`, and busctl as an unprivileged uid to see the policy enforced.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>
#include <nlohmann/json.hpp>

#include "tests/integration/dbus_private_bus.h"
#include "tests/integration/harness.h"

using namespace sloth::test;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

constexpr const char* kBusName = "org.slothrunner.Agent1";
constexpr const char* kPath = "/org/slothrunner/Agent1";
constexpr const char* kIface = "org.slothrunner.Agent1";
using Dict = std::map<std::string, sdbus::Variant>;

// A proxy that records the workflow signals as they arrive (on its own event-loop thread).
class WorkflowClient {
 public:
  WorkflowClient() : proxy_(sdbus::createProxy(sdbus::createSystemBusConnection(), kBusName, kPath)) {
    proxy_->uponSignal("WorkflowTaskChanged")
        .onInterface(kIface)
        .call([this](const std::string& run_id, uint32_t, const std::string& group, const std::string& name,
                     const std::string& status, uint32_t, const std::string& reason, const std::string&, int32_t,
                     int64_t, double) { Record(run_id, group + "." + name + " " + status + " " + reason); });
    proxy_->uponSignal("WorkflowGroupChanged")
        .onInterface(kIface)
        .call([this](const std::string& run_id, uint32_t, const std::string& name, const std::string& status, double) {
          Record(run_id, "group " + name + " " + status);
        });
    proxy_->uponSignal("WorkflowFinished")
        .onInterface(kIface)
        .call([this](const std::string& run_id, const std::string& status, const std::string& reason) {
          Record(run_id, "finished " + status + " " + reason);
        });
    proxy_->finishRegistration();
  }
  ~WorkflowClient() { proxy_.reset(); }  // stops the handlers' thread before the members go

  std::string RunWorkflow(const std::string& name, const std::string& text, const std::vector<std::string>& sets = {}) {
    std::string id;
    proxy_->callMethod("RunWorkflow")
        .onInterface(kIface)
        .withArguments(name, text, std::vector<sdbus::Struct<std::string, std::string>>{}, sets,
                       std::vector<std::string>{})
        .storeResultsTo(id);
    return id;
  }
  Dict GetWorkflowRun(const std::string& id) {
    Dict run;
    proxy_->callMethod("GetWorkflowRun").onInterface(kIface).withArguments(id).storeResultsTo(run);
    return run;
  }
  bool CancelTask(const std::string& id) {
    bool cancelled = false;
    proxy_->callMethod("CancelTask").onInterface(kIface).withArguments(id).storeResultsTo(cancelled);
    return cancelled;
  }
  // Waits until run `id` signalled a line starting with `prefix`.
  bool WaitFor(const std::string& id, const std::string& prefix) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 30s, [&] {
      for (const auto& line : signals_[id]) {
        if (line.rfind(prefix, 0) == 0) return true;
      }
      return false;
    });
  }
  std::vector<std::string> Signals(const std::string& id) {
    std::lock_guard lock(mutex_);
    return signals_[id];
  }

 private:
  void Record(const std::string& run_id, std::string line) {
    std::lock_guard lock(mutex_);
    signals_[run_id].push_back(std::move(line));
    changed_.notify_all();
  }

  std::unique_ptr<sdbus::IProxy> proxy_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::vector<std::string>> signals_;
};

class WorkflowDbusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;  // SetUp skips
    bus_ = new PrivateSystemBus({SLOTH_DBUS_POLICY});
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_->address().c_str(), 1);  // for slothd, our proxy, slothctl
  }
  static void TearDownTestSuite() {
    delete bus_;
    bus_ = nullptr;
  }
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: the shipped policy lets only root and user slothd own the name";
    slothd_ = std::make_unique<Slothd>(std::vector<std::string>{"--name", "dbus-flow"});
    ASSERT_TRUE(slothd_->process().WaitForLine("D-Bus: org.slothrunner.Agent1", 1ms)) << slothd_->process().Output();
    client_ = std::make_unique<WorkflowClient>();
  }

  // slothctl over the bus (no --socket: it must not need one).
  std::pair<int, std::string> Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--via", "dbus"});
    ChildProcess process(SLOTHCTL_PATH, args);
    const int code = process.WaitExit(60s).value_or(-1);
    return {code, process.Output()};
  }

  static PrivateSystemBus* bus_;
  TempDir dir_;
  std::unique_ptr<Slothd> slothd_;
  std::unique_ptr<WorkflowClient> client_;
};

PrivateSystemBus* WorkflowDbusTest::bus_ = nullptr;

TEST_F(WorkflowDbusTest, SlothctlRunsTheExampleOverTheBus) {
  const auto [code, out] =
      Ctl({"run", "-f", std::string(SLOTH_SOURCE_DIR) + "/examples/deploy.toml", "--values",
           std::string(SLOTH_SOURCE_DIR) + "/examples/prod.toml", "--set", "app_dir=" + dir_.File("app")});
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(std::filesystem::exists(dir_.File("app/current")));
  EXPECT_THAT(out, HasSubstr("release.restart: success in "));
  EXPECT_THAT(out, ::testing::ContainsRegex("workflow deploy run w-[0-9]+-[0-9a-f]+: success in .*: 5 succeeded"));
  const auto [tasks_code, tasks] = Ctl({"--output", "json", "agent", "tasks", "local"});
  ASSERT_EQ(tasks_code, 0) << tasks;
  const auto json = nlohmann::json::parse(tasks);
  ASSERT_EQ(json["workflow_runs"].size(), 1u);
  EXPECT_EQ(json["workflow_runs"][0]["status"], "success");
  EXPECT_EQ(json["workflow_runs"][0]["counts"]["succeeded"], 5);
}

TEST_F(WorkflowDbusTest, AFailureOverTheBusExitsOneWithTheSkipReasonsAndTheOutput) {
  WriteFile(dir_.File("fail.toml"),
            "[groups.g.tasks]\na.command = 'echo broken; exit 4'\nb = { command = 'true', depends_on = ['a'] }\n");
  const auto [code, out] = Ctl({"run", "-f", dir_.File("fail.toml")});
  EXPECT_EQ(code, 1) << out;
  EXPECT_THAT(out, HasSubstr("g.a: failed in "));
  EXPECT_THAT(out, HasSubstr("g.b: skipped (dependency g.a failed)"));
  EXPECT_THAT(out, HasSubstr("--- output of g.a"));
  EXPECT_THAT(out, HasSubstr("broken"));
}

TEST_F(WorkflowDbusTest, SignalsFollowTheRunAndGetWorkflowRunHasItsResult) {
  const std::string id = client_->RunWorkflow(
      "signals.toml", "[groups.g.tasks]\na.command = 'exit 1'\nb = { command = 'true', depends_on = ['a'] }\n");
  ASSERT_THAT(id, ::testing::MatchesRegex("w-[0-9]+-[0-9a-f]+"));
  ASSERT_TRUE(client_->WaitFor(id, "finished failed"));
  const auto signals = client_->Signals(id);
  EXPECT_THAT(signals, ::testing::Contains("g.a failed exit code 1"));
  EXPECT_THAT(signals, ::testing::Contains("g.b skipped dependency g.a failed"));
  EXPECT_THAT(signals, ::testing::Contains("group g failed"));
  EXPECT_EQ(signals.back(), "finished failed g.a failed");
  Dict run = client_->GetWorkflowRun(id);
  EXPECT_EQ(run.at("status").get<std::string>(), "failed");
  EXPECT_EQ(run.at("tasks_failed").get<uint32_t>(), 1u);
  const auto tasks = run.at("tasks").get<std::vector<Dict>>();
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].at("task").get<Dict>().at("exit_code").get<int32_t>(), 1);
  EXPECT_EQ(tasks[1].at("reason").get<std::string>(), "dependency g.a failed");
}

TEST_F(WorkflowDbusTest, AnInvalidWorkflowIsInvalidArgsWithItsPosition) {
  try {
    client_->RunWorkflow("bad.toml", "[groups.g.tasks.a]\ncommand = 'x'\ndepends_on = ['a']\n");
    ADD_FAILURE() << "accepted";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), "org.freedesktop.DBus.Error.InvalidArgs");
    EXPECT_THAT(e.getMessage(), HasSubstr("bad.toml:3:15: groups.g.tasks.a.depends_on: dependency cycle: g.a -> g.a"));
  }
}

TEST_F(WorkflowDbusTest, CancelTaskOfARunIdCancelsTheRun) {
  const std::string id = client_->RunWorkflow(
      "long.toml", "[groups.g.tasks]\na.command = 'exec sleep 60'\nb = { command = 'true', depends_on = ['a'] }\n");
  ASSERT_TRUE(client_->WaitFor(id, "g.a running"));
  EXPECT_TRUE(client_->CancelTask(id));
  ASSERT_TRUE(client_->WaitFor(id, "finished failed cancelled: by uid 0 via dbus"));
  EXPECT_THAT(client_->Signals(id), ::testing::Contains("g.b skipped cancelled: by uid 0 via dbus"));
}

TEST_F(WorkflowDbusTest, OnlyRootAndGroupSlothdMayRunAWorkflowButAnyoneMayRead) {
  std::string out;
  const std::string busctl = "setpriv --reuid=65534 --regid=65534 --clear-groups busctl --address='" + bus_->address() +
                             "' call " + kBusName + " " + kPath + " " + kIface + " ";
  EXPECT_NE(RunCommand(busctl + "RunWorkflow ssa\\(ss\\)asas x.toml '' 0 0 0", &out), 0);
  EXPECT_THAT(out, HasSubstr("Access denied"));
  EXPECT_EQ(RunCommand(busctl + "ListWorkflowRuns", &out), 0) << out;
}

}  // namespace
