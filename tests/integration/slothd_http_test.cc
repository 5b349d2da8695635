// slothd's telemetry server, exercised for real: a slothd process on loopback and libcurl.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <mutex>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daemon/core/telemetry/catalog.h"
#include "daemon/core/telemetry/gzip.h"
#include "tests/integration/harness.h"

using namespace sloth::test;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

namespace {}  // namespace

TEST(SlothdHttp, MetricsIsPrometheusTextWithHeaders) {
  Slothd agent;
  auto r = HttpRequest(agent.metrics_url());
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.headers["vary"], "Accept-Encoding");
  EXPECT_EQ(r.headers.count("content-encoding"), 0u);
  for (const auto* spec : sloth::catalog::kAll) {
    EXPECT_THAT(r.body, HasSubstr("# TYPE " + std::string(spec->name) + " ")) << spec->name;
  }
  EXPECT_THAT(r.body, HasSubstr("\nsloth_tasks_running 0\n"));
  EXPECT_THAT(r.body, HasSubstr("sloth_agent_info{arch="));
}

TEST(SlothdHttp, MetricsGzipRoundTrip) {
  Slothd agent;
  auto gz = HttpRequest(agent.metrics_url(), "GET", {"Accept-Encoding: gzip, deflate"});
  ASSERT_EQ(gz.status, 200) << gz.error;
  EXPECT_EQ(gz.headers["content-encoding"], "gzip");
  EXPECT_EQ(gz.headers["vary"], "Accept-Encoding");
  EXPECT_EQ(std::stoul(gz.headers["content-length"]), gz.body.size());
  const std::string text = sloth::GzipDecompress(gz.body);
  auto plain = HttpRequest(agent.metrics_url());
  // Same families in the same order; only runtime values (uptime, CPU) may differ.
  auto type_lines = [](const std::string& t) {
    std::string out;
    for (size_t p = t.find("# TYPE"); p != std::string::npos; p = t.find("# TYPE", p + 1)) {
      out += t.substr(p, t.find('\n', p) - p) + "\n";
    }
    return out;
  };
  EXPECT_EQ(type_lines(text), type_lines(plain.body));
  EXPECT_THAT(text, HasSubstr("\nprocess_open_fds "));

  auto refused = HttpRequest(agent.metrics_url(), "GET", {"Accept-Encoding: gzip;q=0, identity"});
  EXPECT_EQ(refused.headers.count("content-encoding"), 0u);
  EXPECT_THAT(refused.body, StartsWith("# HELP"));
}

TEST(SlothdHttp, HeadHasHeadersAndNoBody) {
  Slothd agent;
  auto r = HttpRequest(agent.metrics_url(), "HEAD");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_GT(std::stoul(r.headers["content-length"]), 1000u);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(HttpRequest(agent.base_url() + "/health", "HEAD").status, 200);
}

TEST(SlothdHttp, HealthIsOkThenUnavailableWithReason) {
  Slothd agent;
  auto ok = HttpRequest(agent.base_url() + "/health");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "OK");
  std::filesystem::remove_all(agent.state_dir());
  auto bad = HttpRequest(agent.base_url() + "/health");
  EXPECT_EQ(bad.status, 503);
  EXPECT_THAT(bad.body, HasSubstr("state directory " + agent.state_dir() + " is not writable"));
  std::filesystem::create_directories(agent.state_dir());
  EXPECT_EQ(HttpRequest(agent.base_url() + "/health").status, 200);
}

TEST(SlothdHttp, InfoReportsTheAgent) {
  TempDir conf;
  WriteFile(conf.File("f.toml"), "[agent]\nmaster_insecure = true\n");  // no master needs to answer here
  Slothd agent({"--name", "info-agent", "--master", "master.example:50053", "--config", conf.File("f.toml")});
  auto r = HttpRequest(agent.base_url() + "/info");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["name"], "info-agent");
  EXPECT_EQ(j["master"], "master.example:50053");
  EXPECT_EQ(j["pid"], agent.process().pid());
  EXPECT_EQ(j["metrics_url"], agent.metrics_url());
  EXPECT_EQ(j["control_socket"], agent.control_socket());
  EXPECT_EQ(j["version"], "0.1.0");
  EXPECT_FALSE(j["commit"].get<std::string>().empty());
  EXPECT_FALSE(j["compiler"].get<std::string>().empty());
  EXPECT_GE(j["uptime_seconds"].get<double>(), 0.0);
  EXPECT_THAT(j["start_time"].get<std::string>(), ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z"));
}

TEST(SlothdHttp, LandingPageLinksTheEndpoints) {
  Slothd agent;
  auto r = HttpRequest(agent.base_url() + "/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
  for (const char* link : {"href=\"/metrics\"", "href=\"/health\"", "href=\"/info\""}) {
    EXPECT_THAT(r.body, HasSubstr(link));
  }
}

TEST(SlothdHttp, UnknownPathIs404AndOtherMethodsAre405) {
  Slothd agent;
  EXPECT_EQ(HttpRequest(agent.base_url() + "/nope").status, 404);
  EXPECT_EQ(HttpRequest(agent.base_url() + "/metrics/extra").status, 404);
  for (const char* method : {"PUT", "DELETE", "OPTIONS", "PATCH"}) {
    auto r = HttpRequest(agent.metrics_url(), method);
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(r.headers["allow"], "GET, HEAD") << method;
  }
}

TEST(SlothdHttp, RequestBodyIsRefusedNotBuffered) {
  Slothd agent;
  // With "Expect: 100-continue" (curl's own choice for large bodies): the 413 comes before the
  // body. A client that sends the body unasked may see the connection reset under it instead,
  // because the server closes without reading it.
  auto r = HttpRequest(agent.metrics_url(), "POST", {"Expect: 100-continue"}, std::string(1 << 20, 'x'));
  EXPECT_EQ(r.status, 413) << r.error;
  // A client announcing 1 GiB gets its answer before sending any of it.
  int fd = ConnectFrom("127.0.0.1", PortOf(agent.base_url()));
  ASSERT_GE(fd, 0);
  const std::string head = "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n";
  ASSERT_EQ(::write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  char buf[512] = {};
  ASSERT_GT(::read(fd, buf, sizeof buf - 1), 0);
  EXPECT_THAT(std::string(buf), StartsWith("HTTP/1.1 413"));
  ::close(fd);
  EXPECT_EQ(HttpRequest(agent.base_url() + "/health").status, 200);
}

TEST(SlothdHttp, HeaderFloodIsRejected) {
  Slothd agent;
  std::vector<std::string> headers;
  for (int i = 0; i < 200; ++i) headers.push_back("X-Flood-" + std::to_string(i) + ": " + std::string(500, 'a'));
  auto r = HttpRequest(agent.metrics_url(), "GET", headers);
  // 431 (or the connection closed on it); never a 200 after buffering 100 KB of headers.
  EXPECT_NE(r.status, 200);
  if (r.status != 0) {
    EXPECT_GE(r.status, 400);
  }
  EXPECT_EQ(HttpRequest(agent.base_url() + "/health").status, 200) << "the server must keep serving";
}

TEST(SlothdHttp, IdleClientsFromOneHostCannotStarveOthers) {
  TempDir conf;
  WriteFile(conf.File("limits.toml"),
            "[telemetry]\nmax_connections = 32\nmax_connections_per_ip = 4\nconnection_timeout = \"1s\"\n");
  Slothd agent({"--config", conf.File("limits.toml")});
  const uint16_t port = PortOf(agent.base_url());
  // A misbehaving host opens many connections and sends nothing.
  std::vector<int> idle;
  for (int i = 0; i < 40; ++i) {
    const int fd = ConnectFrom("127.0.0.2", port);
    if (fd >= 0) idle.push_back(fd);
  }
  // Another host is still served.
  auto r = HttpRequest(agent.metrics_url());
  EXPECT_EQ(r.status, 200) << r.error;
  // Beyond the per-IP limit connections are closed at once; the others after the idle timeout.
  int closed = 0;
  for (int fd : idle) closed += PeerClosesWithin(fd, 5s) ? 1 : 0;
  EXPECT_EQ(closed, static_cast<int>(idle.size())) << "every idle connection must be cut";
  for (int fd : idle) ::close(fd);
  EXPECT_EQ(HttpRequest(agent.metrics_url()).status, 200);
}

TEST(SlothdHttp, PortInUseExitsNonZeroNamingAddressAndFlag) {
  Slothd first;
  const std::string port = std::to_string(PortOf(first.base_url()));
  Slothd second({"--metrics-port", port}, /*wait_ready=*/false);
  auto code = second.process().WaitExit(10s);
  ASSERT_TRUE(code.has_value()) << "slothd must exit when its port is taken";
  EXPECT_NE(*code, 0);
  const std::string out = second.process().Output();
  EXPECT_THAT(out, HasSubstr("127.0.0.1:" + port));
  EXPECT_THAT(out, HasSubstr("Address already in use"));
  EXPECT_THAT(out, HasSubstr("--metrics-port"));
}

TEST(SlothdHttp, TelemetryFalseOpensNoListener) {
  Slothd agent({"--telemetry=false"});
  EXPECT_TRUE(agent.metrics_url().empty());
  EXPECT_TRUE(ListeningPorts(agent.process().pid()).empty());
  Slothd on;
  EXPECT_EQ(ListeningPorts(on.process().pid()), std::vector<uint16_t>{PortOf(on.base_url())});
}

TEST(SlothdHttp, PortZeroPicksAFreePortAndReportsIt) {
  Slothd agent({"--metrics-port", "0"});
  EXPECT_NE(PortOf(agent.base_url()), 0);
  EXPECT_EQ(HttpRequest(agent.metrics_url()).status, 200);
}

TEST(SlothdSignals, SigtermAndSigintExitZeroPromptly) {
  for (int sig : {SIGTERM, SIGINT}) {
    Slothd agent;
    ASSERT_EQ(HttpRequest(agent.metrics_url()).status, 200);
    const auto start = std::chrono::steady_clock::now();
    agent.process().Signal(sig);
    auto code = agent.process().WaitExit(5s);
    ASSERT_TRUE(code) << "no exit after signal " << sig;
    EXPECT_EQ(*code, 0);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << "must exit within a second";
    EXPECT_THAT(agent.process().Output(), HasSubstr("shutting down"));
    EXPECT_NE(HttpRequest(agent.metrics_url()).status, 200) << "nothing listens after exit";
  }
}

TEST(SlothdSignals, SigtermFinishesResponsesInFlight) {
  Slothd agent;
  // Many concurrent scrapes while SIGTERM arrives: each either completes whole or is refused
  // (at connect, or closed before any byte of a response); none is cut in the middle.
  std::vector<std::thread> clients;
  std::mutex mutex;
  std::vector<std::string> cut;  // what each cut response looked like
  int complete = 0;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&] {
      for (int k = 0; k < 20; ++k) {
        auto r = HttpRequest(agent.metrics_url());
        std::lock_guard lock(mutex);
        if (r.status == 200 && r.body.find("\nprocess_threads ") != std::string::npos) {
          ++complete;
        } else if (r.status == 200) {
          cut.push_back(fmt::format("200 with {} bytes ending \"{}\"", r.body.size(),
                                    r.body.substr(r.body.size() - std::min<size_t>(r.body.size(), 80))));
        } else if (r.error.find("partial") != std::string::npos) {  // "Transferred a partial file"
          cut.push_back(fmt::format("status {}: {}", r.status, r.error));
        }
      }
    });
  }
  agent.process().Signal(SIGTERM);
  for (auto& t : clients) t.join();
  EXPECT_THAT(cut, IsEmpty()) << complete << " complete; daemon output:\n" << agent.process().Output();
  EXPECT_EQ(agent.process().WaitExit(10s), 0) << agent.process().Output();
}

TEST(SlothdConfig, BadConfigExitsTwoWithFileLineAndKey) {
  TempDir conf;
  WriteFile(conf.File("bad.toml"), "[telemetry]\nport = 9090\nprot = 1\n");
  Slothd agent({"--config", conf.File("bad.toml")}, /*wait_ready=*/false);
  EXPECT_EQ(agent.process().WaitExit(10s), 2);
  const std::string out = agent.process().Output();
  EXPECT_THAT(out, HasSubstr(conf.File("bad.toml") + ":3:1: telemetry.prot: unknown key"));
  EXPECT_THAT(out, Not(HasSubstr("ready")));
}

TEST(SlothdConfig, StartedByHandTasksRunInProcessModeAndSaySo) {
  Slothd agent;
  EXPECT_TRUE(
      agent.process().WaitForLine("tasks run as slothd's own processes (process mode: slothd was not started "
                                  "by systemd)",
                                  5s))
      << agent.process().Output();
}

TEST(SlothdConfig, UnitIsolationWithoutSystemdRefusesToStart) {
  TempDir conf;
  WriteFile(conf.File("unit.toml"), "[tasks]\nisolation = \"unit\"\n");
  Slothd agent({"--config", conf.File("unit.toml")}, /*wait_ready=*/false);
  EXPECT_EQ(agent.process().WaitExit(10s), 1);
  EXPECT_THAT(agent.process().Output(),
              HasSubstr("[tasks] isolation = \"unit\", but task units cannot be started: slothd was not started by "
                        "systemd; set isolation = \"auto\" or \"process\""));
}

TEST(SlothdConfig, MissingExplicitConfigFileIsAnError) {
  Slothd agent({"--config", "/nonexistent/slothd.toml"}, /*wait_ready=*/false);
  EXPECT_EQ(agent.process().WaitExit(10s), 2);
  EXPECT_THAT(agent.process().Output(), HasSubstr("/nonexistent/slothd.toml: cannot read"));
}

TEST(SlothdConfig, BadFlagValueExitsTwo) {
  Slothd agent({"--metrics-port", "70000"}, /*wait_ready=*/false);
  EXPECT_EQ(agent.process().WaitExit(10s), 2);
  Slothd agent2({"--metrics-address", "not-an-ip"}, /*wait_ready=*/false);
  EXPECT_EQ(agent2.process().WaitExit(10s), 2);
  EXPECT_THAT(agent2.process().Output(), HasSubstr("--metrics-address: expected an IPv4 or IPv6 address"));
}

TEST(SlothdConfig, CheckConfigPrintsEffectiveConfigAndExitsZero) {
  TempDir conf;
  WriteFile(conf.File("ok.toml"), "[telemetry]\nport = 9999\n");
  ChildProcess check(SlothdPath(), {"--check-config", "--config", conf.File("ok.toml"), "--name", "chk"});
  EXPECT_EQ(check.WaitExit(10s), 0);
  const std::string out = check.Output();
  EXPECT_THAT(out, HasSubstr("configuration OK"));
  EXPECT_THAT(out, HasSubstr("port = 9999"));
  EXPECT_THAT(out, HasSubstr("name = \"chk\""));
}

TEST(SlothdConfig, FileValuesApplyAndFlagsOverrideThem) {
  TempDir conf;
  WriteFile(conf.File("f.toml"), "[agent]\nname = \"from-file\"\nmaster = \"m.example:1\"\nmaster_insecure = true\n");
  Slothd agent({"--config", conf.File("f.toml"), "--name", "from-flag"});
  auto j = nlohmann::json::parse(HttpRequest(agent.base_url() + "/info").body);
  EXPECT_EQ(j["name"], "from-flag");
  EXPECT_EQ(j["master"], "m.example:1");
}

TEST(SlothdCli, VersionAndHelp) {
  ChildProcess version(SlothdPath(), {"--version"});
  EXPECT_EQ(version.WaitExit(10s), 0);
  EXPECT_THAT(version.Output(), HasSubstr("slothd 0.1.0"));
  ChildProcess help(SlothdPath(), {"--help"});
  EXPECT_EQ(help.WaitExit(10s), 0);
  for (const char* flag : {"--name", "--master", "--telemetry", "--metrics-port", "--metrics-address", "--config",
                           "--check-config", "--control-socket", "--state-dir"}) {
    EXPECT_THAT(help.Output(), HasSubstr(flag));
  }
}
