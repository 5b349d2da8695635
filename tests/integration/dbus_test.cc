// The D-Bus front end for real: a private system bus with the shipped policy, slothd owning
// org.slothrunner.Agent1 on it, and clients that are a sdbus-c++ proxy (signals, typed calls)
// and busctl (as root and as an unprivileged uid, to see the policy enforced).
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include "tests/exposition_sample.h"
#include "tests/integration/dbus_private_bus.h"
#include "tests/integration/harness.h"

using namespace sloth::test;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

constexpr const char* kBusName = "org.slothrunner.Agent1";
constexpr const char* kPath = "/org/slothrunner/Agent1";
constexpr const char* kIface = "org.slothrunner.Agent1";
constexpr const char* kAgentName = "dbus-test-agent";
constexpr uint32_t kNobody = 65534;

using TaskRow =
    sdbus::Struct<std::string, std::string, std::string, std::string, std::string, int32_t, double, int64_t>;
using Dict = std::map<std::string, sdbus::Variant>;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

struct TaskFinished {
  std::string id, name, group, status;
  int32_t exit_code = 0;
};

// A proxy on the agent's object that records TaskFinished and PropertiesChanged(TasksRunning)
// as they arrive (on the proxy's own event-loop thread); tests wait on them, never sleep.
class AgentClient {
 public:
  AgentClient() : proxy_(sdbus::createProxy(sdbus::createSystemBusConnection(), kBusName, kPath)) {
    proxy_->uponSignal("TaskFinished")
        .onInterface(kIface)
        .call([this](const std::string& id, const std::string& name, const std::string& group,
                     const std::string& status, int32_t exit_code) {
          std::lock_guard lock(mutex_);
          finished_.push_back({id, name, group, status, exit_code});
          changed_.notify_all();
        });
    proxy_->uponSignal("PropertiesChanged")
        .onInterface("org.freedesktop.DBus.Properties")
        .call([this](const std::string& iface, const Dict& changed, const std::vector<std::string>&) {
          auto it = changed.find("TasksRunning");
          if (iface != kIface || it == changed.end()) return;
          std::lock_guard lock(mutex_);
          tasks_running_.push_back(it->second.get<uint32_t>());
          changed_.notify_all();
        });
    proxy_->finishRegistration();
  }
  // The handlers run on the proxy's event-loop thread and write the members below: stop that
  // thread first (members are destroyed after the body, in reverse order, proxy_ last).
  ~AgentClient() { proxy_.reset(); }
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  sdbus::IProxy& proxy() { return *proxy_; }

  std::string RunTask(const std::string& command, const std::string& name = "", const std::string& group = "",
                      const std::map<std::string, std::string>& env = {}, uint64_t timeout_ms = 0) {
    std::string id;
    proxy_->callMethod("RunTask")
        .onInterface(kIface)
        .withArguments(command, name, group, env, timeout_ms)
        .storeResultsTo(id);
    return id;
  }
  std::string RunTaskEx(const std::string& command, const Dict& options) {
    std::string id;
    proxy_->callMethod("RunTaskEx")
        .onInterface(kIface)
        .withArguments(command, std::string(), std::string(), std::map<std::string, std::string>(), uint64_t{0},
                       options)
        .storeResultsTo(id);
    return id;
  }
  std::vector<Dict> ListTasksEx() {
    std::vector<Dict> tasks;
    proxy_->callMethod("ListTasksEx").onInterface(kIface).storeResultsTo(tasks);
    return tasks;
  }
  Dict GetTask(const std::string& id) {
    Dict task;
    proxy_->callMethod("GetTask").onInterface(kIface).withArguments(id).storeResultsTo(task);
    return task;
  }
  Dict GetInfo() {
    Dict info;
    proxy_->callMethod("GetInfo").onInterface(kIface).storeResultsTo(info);
    return info;
  }
  std::vector<TaskRow> ListTasks() {
    std::vector<TaskRow> rows;
    proxy_->callMethod("ListTasks").onInterface(kIface).storeResultsTo(rows);
    return rows;
  }
  bool CancelTask(const std::string& id) {
    bool cancelled = false;
    proxy_->callMethod("CancelTask").onInterface(kIface).withArguments(id).storeResultsTo(cancelled);
    return cancelled;
  }
  std::string GetMetrics() {
    std::string text;
    proxy_->callMethod("GetMetrics").onInterface(kIface).storeResultsTo(text);
    return text;
  }
  std::string Introspect() {
    std::string xml;
    proxy_->callMethod("Introspect").onInterface("org.freedesktop.DBus.Introspectable").storeResultsTo(xml);
    return xml;
  }

  std::optional<TaskFinished> WaitTaskFinished(const std::string& id, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mutex_);
    std::optional<TaskFinished> found;
    changed_.wait_for(lock, timeout, [&] {
      for (const auto& f : finished_) {
        if (f.id == id) found = f;
      }
      return found.has_value();
    });
    return found;
  }
  // Index to pass to WaitTasksRunning: only values signalled after this point count.
  size_t TasksRunningMark() {
    std::lock_guard lock(mutex_);
    return tasks_running_.size();
  }
  bool WaitTasksRunning(uint32_t value, size_t after, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      for (size_t i = after; i < tasks_running_.size(); ++i) {
        if (tasks_running_[i] == value) return true;
      }
      return false;
    });
  }

 private:
  std::unique_ptr<sdbus::IProxy> proxy_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<TaskFinished> finished_;
  std::vector<uint32_t> tasks_running_;
};

// The interface's members as comparable lines ("method RunTask", "arg in s", "property Name s
// read", ...), in document order, from introspection XML (ours or the bus's).
std::vector<std::string> InterfaceMembers(std::string xml, const std::string& iface) {
  xml = std::regex_replace(xml, std::regex(R"(<!--[\s\S]*?-->)"), "");
  const auto begin = xml.find("<interface name=\"" + iface + "\"");
  if (begin == std::string::npos) return {};
  const auto end = xml.find("</interface>", begin);
  const std::string body = xml.substr(begin, end - begin);
  auto attr = [](const std::string& tag, const std::string& name) {
    std::smatch m;
    return std::regex_search(tag, m, std::regex("\\b" + name + "=\"([^\"]*)\"")) ? m[1].str() : std::string();
  };
  std::vector<std::string> out;
  std::string kind;
  const std::regex tag_re(R"(<(method|signal|property|arg)\b[^>]*>)");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), tag_re); it != std::sregex_iterator(); ++it) {
    const std::string tag = (*it)[0];
    const std::string element = (*it)[1];
    if (element == "arg") {
      std::string direction = kind == "method" ? attr(tag, "direction") : "";
      if (kind == "method" && direction.empty()) direction = "in";
      out.push_back("arg " + direction + " " + attr(tag, "type"));
    } else {
      kind = element;
      out.push_back(element + " " + attr(tag, "name") +
                    (element == "property" ? " " + attr(tag, "type") + " " + attr(tag, "access") : ""));
    }
  }
  return out;
}

std::set<std::string> MetricTypes(const std::string& exposition) {
  std::set<std::string> types;
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) types.insert(line);
  }
  return types;
}

std::string ErrorName(const std::function<void()>& call) {
  try {
    call();
  } catch (const sdbus::Error& e) {
    return e.getName();
  }
  return "(no error)";
}

class DbusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;  // SetUp skips
    bus_ = new PrivateSystemBus({SLOTH_DBUS_POLICY});
    // Inherited by slothd (the harness passes the environment on) and used by our proxy.
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_->address().c_str(), 1);
  }
  static void TearDownTestSuite() {
    delete bus_;
    bus_ = nullptr;
  }

  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root: the shipped policy lets only root and user slothd own " << kBusName
                   << ", and the denied-call tests switch uid with setpriv";
    }
    slothd_ = std::make_unique<Slothd>(std::vector<std::string>{"--name", kAgentName, "--log-level", "debug"});
    ASSERT_TRUE(slothd_->process().WaitForLine("D-Bus: org.slothrunner.Agent1", 1ms))
        << "slothd did not take the bus name; output:\n"
        << slothd_->process().Output() << "\ndbus-daemon:\n"
        << bus_->Log();
    client_ = std::make_unique<AgentClient>();
  }

  // busctl against the private bus; `as_nobody` runs it as uid/gid 65534 without groups.
  // `groups`: the supplementary groups to keep ("": none).
  int Busctl(const std::string& args, std::string* output, bool as_nobody = false, const std::string& groups = "") {
    std::string command = "busctl --address='" + bus_->address() + "' " + args;
    if (as_nobody) {
      command = "setpriv --reuid=" + std::to_string(kNobody) + " --regid=" + std::to_string(kNobody) +
                (groups.empty() ? " --clear-groups " : " --groups=" + groups + " ") + command;
    }
    return RunCommand(command, output);
  }

  static PrivateSystemBus* bus_;
  std::unique_ptr<Slothd> slothd_;
  std::unique_ptr<AgentClient> client_;
};

PrivateSystemBus* DbusTest::bus_ = nullptr;

TEST_F(DbusTest, NameIsOwnedBySlothdAndIntrospectionMatchesShippedXml) {
  std::string out;
  ASSERT_EQ(Busctl("list --no-pager --no-legend", &out), 0) << out;
  EXPECT_THAT(out, testing::ContainsRegex(std::string(kBusName) + " +" + std::to_string(slothd_->process().pid())));

  const auto expected = InterfaceMembers(ReadFile(SLOTH_AGENT1_XML), kIface);
  ASSERT_GT(expected.size(), 20u);
  const auto served = InterfaceMembers(client_->Introspect(), kIface);
  // Order within the interface may differ: compare member by member, sorted.
  auto sorted_blocks = [](const std::vector<std::string>& lines) {
    std::vector<std::string> blocks;
    for (const auto& l : lines) {
      if (l.rfind("arg ", 0) == 0 && !blocks.empty()) {
        blocks.back() += " | " + l;
      } else {
        blocks.push_back(l);
      }
    }
    std::sort(blocks.begin(), blocks.end());
    return blocks;
  };
  EXPECT_EQ(sorted_blocks(served), sorted_blocks(expected));
}

TEST_F(DbusTest, GetInfoReportsTheAgent) {
  Dict info = client_->GetInfo();
  EXPECT_EQ(info.at("name").get<std::string>(), kAgentName);
  EXPECT_EQ(info.at("pid").get<int32_t>(), slothd_->process().pid());
  EXPECT_EQ(info.at("metrics_url").get<std::string>(), slothd_->metrics_url());
  EXPECT_EQ(info.at("control_socket").get<std::string>(), slothd_->control_socket());
  EXPECT_GE(info.at("uptime_seconds").get<double>(), 0.0);
  EXPECT_EQ(info.at("tasks_running").get<uint32_t>(), 0u);
  EXPECT_FALSE(info.at("version").get<std::string>().empty());

  std::string out;  // the same through busctl, as an operator would see it
  ASSERT_EQ(Busctl(std::string("call ") + kBusName + " " + kPath + " " + kIface + " GetInfo", &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("\"name\" s \"" + std::string(kAgentName) + "\""));
}

TEST_F(DbusTest, RunTaskReturnsTheIdAndTaskFinishedCarriesTheResult) {
  const std::string id =
      client_->RunTask("echo \"$GREETING\"; printf '\\377'; exit 3", "greet", "demo", {{"GREETING", "hello"}});
  ASSERT_THAT(id, testing::MatchesRegex("t-[0-9]+-[0-9a-f]+"));
  auto finished = client_->WaitTaskFinished(id);
  ASSERT_TRUE(finished) << "no TaskFinished for " << id;
  EXPECT_EQ(finished->name, "greet");
  EXPECT_EQ(finished->group, "demo");
  EXPECT_EQ(finished->status, "failed");
  EXPECT_EQ(finished->exit_code, 3);

  Dict task = client_->GetTask(id);
  EXPECT_EQ(task.at("id").get<std::string>(), id);
  EXPECT_EQ(task.at("status").get<std::string>(), "failed");
  EXPECT_EQ(task.at("exit_code").get<int32_t>(), 3);
  EXPECT_EQ(task.at("reason").get<std::string>(), "exit code 3");
  // Output is bytes (ay): not UTF-8 here, and it must still arrive intact.
  const auto output = task.at("output").get<std::vector<uint8_t>>();
  EXPECT_EQ(std::string(output.begin(), output.end()), "hello\n\xff");
  EXPECT_EQ(task.at("output_bytes").get<uint64_t>(), 7u);
  EXPECT_GT(task.at("end_time_unix_ms").get<int64_t>(), 0);

  const auto rows = client_->ListTasks();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(std::get<0>(rows[0]), id);
  EXPECT_EQ(std::get<1>(rows[0]), "greet");
  EXPECT_EQ(std::get<2>(rows[0]), "demo");
  EXPECT_EQ(std::get<3>(rows[0]), "failed");
  EXPECT_EQ(std::get<5>(rows[0]), 3);

  // The audit log names the caller as the bus reported it (this test runs as root).
  EXPECT_TRUE(slothd_->process().WaitForLine("StartTask demo/greet (uid 0, pid " + std::to_string(::getpid()), 1ms))
      << slothd_->process().Output();
}

TEST_F(DbusTest, RunTaskDoesNotWaitForTheTaskAndCancelTaskStopsIt) {
  const size_t mark = client_->TasksRunningMark();
  const auto before = std::chrono::steady_clock::now();
  const std::string id = client_->RunTask("sleep 60", "sleeper");
  EXPECT_LT(std::chrono::steady_clock::now() - before, 30s);  // well before the task could end
  ASSERT_TRUE(client_->WaitTasksRunning(1, mark)) << "no PropertiesChanged(TasksRunning=1)";
  EXPECT_EQ(client_->GetTask(id).at("status").get<std::string>(), "running");

  EXPECT_TRUE(client_->CancelTask(id));
  auto finished = client_->WaitTaskFinished(id);
  ASSERT_TRUE(finished);
  EXPECT_EQ(finished->status, "failed");
  EXPECT_TRUE(client_->WaitTasksRunning(0, mark)) << "no PropertiesChanged(TasksRunning=0)";
  Dict task = client_->GetTask(id);
  EXPECT_TRUE(task.at("cancelled").get<bool>());

  EXPECT_FALSE(client_->CancelTask(id)) << "already finished";
  EXPECT_EQ(ErrorName([&] { client_->CancelTask("t-000000-dead"); }), "org.slothrunner.Agent1.Error.UnknownTask");
}

// Tasks finishing (signals from task threads) while RunTask calls arrive (signals from the bus
// thread): every TaskFinished arrives and the bus never locks up.
TEST_F(DbusTest, ManyTasksStartedBackToBackAllSignalTaskFinished) {
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(client_->RunTask("exit " + std::to_string(i % 2), "burst"));
  for (const auto& id : ids) {
    auto finished = client_->WaitTaskFinished(id);
    ASSERT_TRUE(finished) << "no TaskFinished for " << id;
  }
  EXPECT_EQ(client_->GetInfo().at("tasks_running").get<uint32_t>(), 0u);
}

TEST_F(DbusTest, BadRequestsAreDbusErrors) {
  EXPECT_EQ(ErrorName([&] { client_->RunTask(""); }), "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_EQ(ErrorName([&] {
              client_->RunTask("true", "", "", {{"A=B", "x"}});
            }),
            "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_EQ(ErrorName([&] { client_->GetTask("t-000000-dead"); }), "org.slothrunner.Agent1.Error.UnknownTask");
  EXPECT_TRUE(client_->ListTasks().empty());
}

// This agent runs in process mode (started by hand): a limit only a unit can apply is reported in
// the result, what the task used comes back, and other users and bad limits are refused.
TEST_F(DbusTest, RunTaskExTakesLimitsAndTheResultCarriesUsage) {
  const std::string id = client_->RunTaskEx(
      "true", {{"cpu_quota", sdbus::Variant(std::string("50%"))}, {"memory_max", sdbus::Variant(std::string("1G"))}});
  ASSERT_TRUE(client_->WaitTaskFinished(id));
  Dict task = client_->GetTask(id);
  EXPECT_EQ(task.at("status").get<std::string>(), "success");
  EXPECT_TRUE(task.at("usage_measured").get<bool>());
  EXPECT_GT(task.at("memory_peak_bytes").get<uint64_t>(), 0u);
  EXPECT_GE(task.at("cpu_seconds").get<double>(), 0.0);
  EXPECT_EQ(task.at("unit").get<std::string>(), "");
  EXPECT_EQ(task.at("user").get<std::string>(), "root");
  EXPECT_THAT(task.at("limits_not_enforced").get<std::string>(), testing::StartsWith("cpu_quota=50% not enforced: "));
  const auto listed = client_->ListTasksEx();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].at("id").get<std::string>(), id);
  EXPECT_EQ(listed[0].count("output"), 0u);
  EXPECT_EQ(listed[0].at("limits_not_enforced").get<std::string>(), task.at("limits_not_enforced").get<std::string>());

  Dict info = client_->GetInfo();
  EXPECT_EQ(info.at("task_isolation").get<std::string>(), "process");
  EXPECT_EQ(info.at("task_user").get<std::string>(), "root");
  EXPECT_EQ(info.at("memory_max_not_enforced").get<std::string>(), "");
  EXPECT_NE(info.at("cpu_quota_not_enforced").get<std::string>(), "");

  EXPECT_EQ(ErrorName([&] {
              client_->RunTaskEx("true", {{"memory_max", sdbus::Variant(std::string("lots"))}});
            }),
            "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_EQ(ErrorName([&] {
              client_->RunTaskEx("true", {{"nice", sdbus::Variant(std::string("5"))}});
            }),
            "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_EQ(ErrorName([&] {
              client_->RunTaskEx("true", {{"tasks_max", sdbus::Variant(uint64_t{5})}});
            }),
            "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_EQ(ErrorName([&] {
              client_->RunTaskEx("true", {{"user", sdbus::Variant(std::string("nobody"))}});
            }),
            "org.slothrunner.Agent1.Error.UserNotAllowed");
}

TEST_F(DbusTest, GetMetricsHasTheSameFamiliesAsTheHttpEndpoint) {
  const std::string id = client_->RunTask("true", "probe", "metrics");
  ASSERT_TRUE(client_->WaitTaskFinished(id));
  const HttpResponse before = HttpRequest(slothd_->metrics_url());
  const std::string text = client_->GetMetrics();
  const HttpResponse after = HttpRequest(slothd_->metrics_url());
  ASSERT_EQ(before.status, 200);
  ASSERT_EQ(after.status, 200);
  EXPECT_THAT(text, HasSubstr("# TYPE sloth_tasks_total counter"));
  EXPECT_THAT(text, HasSubstr("sloth_tasks_total{group=\"metrics\",status=\"success\"} 1"));
  // Families may appear with the first scrape of something; none may be missing on either side.
  const auto dbus_types = MetricTypes(text);
  for (const auto& t : MetricTypes(before.body)) EXPECT_TRUE(dbus_types.count(t)) << t;
  const auto after_types = MetricTypes(after.body);
  for (const auto& t : dbus_types) EXPECT_TRUE(after_types.count(t)) << t;
}

TEST_F(DbusTest, PropertiesReadAndTasksRunningSignalsChanges) {
  std::string out;
  ASSERT_EQ(
      Busctl(std::string("get-property ") + kBusName + " " + kPath + " " + kIface + " Name Version Uptime TasksRunning",
             &out),
      0)
      << out;
  const std::string version = client_->GetInfo().at("version").get<std::string>();
  EXPECT_THAT(
      out, testing::ContainsRegex("s \"" + std::string(kAgentName) + "\"\ns \"" + version + "\"\nd [0-9.e+-]+\nu 0\n"));

  sdbus::Variant running;
  const size_t mark = client_->TasksRunningMark();
  const std::string id = client_->RunTask("sleep 60");
  ASSERT_TRUE(client_->WaitTasksRunning(1, mark));
  client_->proxy()
      .callMethod("Get")
      .onInterface("org.freedesktop.DBus.Properties")
      .withArguments(std::string(kIface), std::string("TasksRunning"))
      .storeResultsTo(running);
  EXPECT_EQ(running.get<uint32_t>(), 1u);
  client_->CancelTask(id);
  EXPECT_TRUE(client_->WaitTasksRunning(0, mark));
}

TEST_F(DbusTest, ReloadRereadsTheConfiguration) {
  client_->proxy().callMethod("Reload").onInterface(kIface);
  EXPECT_TRUE(slothd_->process().WaitForLine("configuration reloaded")) << slothd_->process().Output();
}

TEST_F(DbusTest, PolicyDeniesActionsToOtherUsersButLetsThemRead) {
  const std::string call = std::string("call ") + kBusName + " " + kPath + " " + kIface + " ";
  std::string out;
  EXPECT_NE(Busctl(call + "RunTask sssa{ss}t true '' '' 0 0", &out, true), 0) << out;
  EXPECT_THAT(out, HasSubstr("Access denied"));
  EXPECT_NE(Busctl(call + "CancelTask s t-000001-0000", &out, true), 0) << out;
  EXPECT_THAT(out, HasSubstr("Access denied"));
  EXPECT_NE(Busctl(call + "Reload", &out, true), 0) << out;
  EXPECT_THAT(out, HasSubstr("Access denied"));
  EXPECT_TRUE(client_->ListTasks().empty()) << "a denied RunTask must not reach slothd";

  ASSERT_EQ(Busctl(call + "GetInfo", &out, true), 0) << out;
  EXPECT_THAT(out, HasSubstr(kAgentName));
  // slothd saw the caller's real uid (from the bus, not from the client).
  EXPECT_TRUE(slothd_->process().WaitForLine("GetInfo (uid " + std::to_string(kNobody), 5s))
      << slothd_->process().Output();
  EXPECT_EQ(Busctl(call + "ListTasks", &out, true), 0) << out;
  EXPECT_EQ(Busctl(call + "GetMetrics", &out, true), 0) << out;
  EXPECT_EQ(Busctl(std::string("get-property ") + kBusName + " " + kPath + " " + kIface + " TasksRunning", &out, true),
            0)
      << out;
  EXPECT_EQ(Busctl(std::string("introspect --no-pager ") + kBusName + " " + kPath, &out, true), 0) << out;
  EXPECT_EQ(Busctl(std::string("call ") + kBusName + " " + kPath + " org.freedesktop.DBus.Peer Ping", &out, true), 0)
      << out;

  // And root may act (the same call that was denied above).
  EXPECT_EQ(Busctl(call + "RunTask sssa{ss}t true '' '' 0 0", &out), 0) << out;
}

TEST_F(DbusTest, PolicyLetsGroupSlothdAct) {
  const group* slothd_group = ::getgrnam("slothd");
  if (slothd_group == nullptr)
    GTEST_SKIP() << "no group slothd on this machine (systemd/sysusers.d/slothd.conf makes it)";
  std::string out;
  const std::string call = std::string("call ") + kBusName + " " + kPath + " " + kIface + " ";
  EXPECT_EQ(Busctl(call + "RunTask sssa{ss}t true '' '' 0 0", &out, true, std::to_string(slothd_group->gr_gid)), 0)
      << out;
}

TEST_F(DbusTest, WithoutTheNameSlothdRunsOnWithAWarning) {
  // The name is taken by the fixture's slothd: a second one cannot own it.
  Slothd second({"--name", "second"});
  EXPECT_TRUE(second.process().WaitForLine("running without D-Bus: cannot own org.slothrunner.Agent1", 1ms))
      << second.process().Output();
  EXPECT_EQ(HttpRequest(second.metrics_url()).status, 200);
  EXPECT_EQ(client_->GetInfo().at("name").get<std::string>(), kAgentName);  // the first one still serves
}

TEST_F(DbusTest, WithoutASystemBusSlothdRunsOnWithAWarning) {
  const std::string saved = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/system_bus_socket", 1);
  Slothd lonely({"--name", "lonely"});
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", saved.c_str(), 1);
  EXPECT_TRUE(lonely.process().WaitForLine("running without D-Bus: cannot connect", 1ms)) << lonely.process().Output();
  EXPECT_EQ(HttpRequest(lonely.metrics_url()).status, 200);
}

}  // namespace

// slothctl agent reload over either transport: the outcome reaches the caller, and a bad file
// leaves the running configuration in force.
TEST_F(DbusTest, SlothctlAgentReloadReportsTheOutcomeOverTheSocketAndTheBus) {
  const std::string config = slothd_->dir().File("empty.toml");  // the harness's --config
  for (const std::vector<std::string>& via :
       {std::vector<std::string>{"--socket", slothd_->control_socket()}, std::vector<std::string>{"--via", "dbus"}}) {
    auto ctl = [&](std::vector<std::string> args, std::string* out) {
      args.insert(args.begin(), via.begin(), via.end());
      ChildProcess process(SLOTHCTL_PATH, args);
      const int code = process.WaitExit(30s).value_or(-1);
      *out = process.Output();
      return code;
    };
    std::string out;
    WriteFile(config, "[tasks]\nmax_concurrent = 3\n");
    ASSERT_EQ(ctl({"agent", "reload", "local"}, &out), 0) << via[1] << ": " << out;
    EXPECT_THAT(out, HasSubstr("reloaded agent '" + std::string(kAgentName) + "' from " + config)) << via[1];
    EXPECT_THAT(out, HasSubstr("note: [tasks] changed: takes effect at the next start")) << via[1];
    ASSERT_EQ(ctl({"--output", "json", "agent", "reload", "local"}, &out), 0) << via[1] << ": " << out;
    EXPECT_THAT(out, HasSubstr("\"loaded_from\": \"" + config + "\"")) << via[1];

    WriteFile(config, "[telemetry]\nport = 1\nprot = 1\n");
    EXPECT_EQ(ctl({"agent", "reload", "local"}, &out), 1) << via[1] << ": " << out;
    EXPECT_THAT(out, HasSubstr(config + ":3:1: telemetry.prot: unknown key")) << via[1];
    // The old configuration is in force: the same metrics endpoint answers, the agent serves.
    EXPECT_EQ(HttpRequest(slothd_->metrics_url()).status, 200) << via[1];
    EXPECT_EQ(ctl({"agent", "health", "local"}, &out), 0) << via[1] << ": " << out;
  }
  EXPECT_TRUE(slothd_->process().WaitForLine("Reload (uid 0, pid ", 1ms)) << slothd_->process().Output();
  EXPECT_TRUE(slothd_->process().WaitForLine("reload failed, the running configuration stays", 1ms));
}

// A full queue refuses a task on the bus (a named error) and through slothctl over the bus and the
// socket (exit 75): no task is recorded or counted as one, each refusal is an error of its own.
TEST_F(DbusTest, QueueFullIsARefusalNotATaskOverTheBusAndTheSocket) {
  client_.reset();
  slothd_.reset();
  TempDir dir;
  WriteFile(dir.File("slothd.toml"), "[tasks]\nmax_concurrent = 1\nmax_queued = 0\n");
  slothd_ = std::make_unique<Slothd>(
      std::vector<std::string>{"--name", kAgentName, "--log-level", "info", "--config", dir.File("slothd.toml")});
  ASSERT_TRUE(slothd_->process().WaitForLine("D-Bus: org.slothrunner.Agent1", 1ms)) << slothd_->process().Output();
  client_ = std::make_unique<AgentClient>();
  const std::string up = dir.File("up"), gate = dir.File("gate");
  ASSERT_EQ(::mkfifo(up.c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo(gate.c_str(), 0600), 0);
  const int up_fd = ::open(up.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(up_fd, 0);
  const std::string holder = client_->RunTask("echo > " + up + "; read x < " + gate, "holder");
  pollfd p{up_fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 20000), 1) << "the holding task did not start";
  ::close(up_fd);

  EXPECT_EQ(ErrorName([&] { client_->RunTask("touch " + dir.File("ran")); }), "org.slothrunner.Agent1.Error.QueueFull");
  for (const std::vector<std::string>& via :
       {std::vector<std::string>{"--socket", slothd_->control_socket()}, std::vector<std::string>{"--via", "dbus"}}) {
    std::vector<std::string> args = via;
    args.insert(args.end(), {"agent", "run", "local", "touch " + dir.File("ran")});
    ChildProcess ctl(SLOTHCTL_PATH, args);
    EXPECT_EQ(ctl.WaitExit(30s), 75) << via[1] << ": " << ctl.Output();
    EXPECT_THAT(ctl.Output(), HasSubstr("refused the task, which did not run: ")) << via[1];
    EXPECT_THAT(ctl.Output(), HasSubstr("queue full: 1 tasks running (max_concurrent), 0 waiting (max_queued)"))
        << via[1];
  }

  WriteFile(gate, "go\n");
  ASSERT_TRUE(client_->WaitTaskFinished(holder));
  EXPECT_FALSE(std::filesystem::exists(dir.File("ran")));
  EXPECT_EQ(client_->ListTasksEx().size(), 1u);  // the holder alone
  const std::string metrics = HttpRequest(slothd_->metrics_url()).body;
  EXPECT_EQ(Sample(metrics, "sloth_tasks_total", {R"(status="success")"}), 1) << metrics;
  EXPECT_LT(Sample(metrics, "sloth_tasks_total", {R"(status="failed")"}), 1) << metrics;
  EXPECT_EQ(Sample(metrics, "sloth_errors_total", {R"(type="task_refused")"}), 3) << metrics;
  EXPECT_TRUE(slothd_->process().WaitForLine("refused: queue full", 1ms)) << slothd_->process().Output();
}

// slothctl --via dbus: the same commands an operator types, carried by the system bus.
TEST_F(DbusTest, SlothctlViaDbusRunsInfoTasksAndMetrics) {
  auto ctl = [&](std::vector<std::string> args, std::string* out) {
    args.insert(args.begin(), {"--via", "dbus", "--no-color"});
    ChildProcess process(SLOTHCTL_PATH, args);
    const int code = process.WaitExit(30s).value_or(-1);
    *out = process.Output();
    return code;
  };
  std::string out;
  ASSERT_EQ(ctl({"agent", "info", kAgentName}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr(kAgentName));
  EXPECT_THAT(out, HasSubstr(slothd_->metrics_url()));

  EXPECT_EQ(ctl({"agent", "run", "local", "--name", "viadbus", "echo over the bus; exit 4"}, &out), 4) << out;
  EXPECT_THAT(out, HasSubstr("over the bus"));
  EXPECT_EQ(ctl({"agent", "run", "local", "true"}, &out), 0) << out;

  ASSERT_EQ(ctl({"agent", "tasks", "local"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("viadbus"));

  ASSERT_EQ(ctl({"metrics", "prom", "local", "--snapshot"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("sloth_tasks_total{group=\"adhoc\",status=\"failed\"} 1"));

  // Over D-Bus the audit log names the bus and the caller.
  EXPECT_TRUE(slothd_->process().WaitForLine("StartTask adhoc/viadbus (uid 0", 5s)) << slothd_->process().Output();
}
