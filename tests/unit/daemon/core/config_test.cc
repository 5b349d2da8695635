#include "daemon/core/config.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "daemon/command_line.h"

using namespace std::chrono_literals;
using sloth::Config;
using sloth::ConfigError;
using sloth::ParseConfig;

namespace {

Config MustParse(std::string_view text) {
  auto r = ParseConfig(text, "slothd.toml");
  if (auto* e = std::get_if<ConfigError>(&r)) ADD_FAILURE() << e->ToString();
  return std::get_if<Config>(&r) ? std::get<Config>(r) : Config{};
}

ConfigError MustFail(std::string_view text) {
  auto r = ParseConfig(text, "slothd.toml");
  EXPECT_TRUE(std::holds_alternative<ConfigError>(r)) << "accepted:\n" << text;
  return std::holds_alternative<ConfigError>(r) ? std::get<ConfigError>(r) : ConfigError{};
}

}  // namespace

TEST(ParseConfig, EmptyFileGivesBuiltInDefaults) {
  Config c = MustParse("");
  EXPECT_TRUE(c.telemetry.enabled);
  EXPECT_EQ(c.telemetry.address, "0.0.0.0");
  EXPECT_EQ(c.telemetry.port, 9090);
  EXPECT_EQ(c.agent.control_socket, "/run/slothd/slothd.sock");
  EXPECT_EQ(c.agent.state_dir, "/var/lib/slothd");
  EXPECT_EQ(c.telemetry.connection_timeout, 10s);
}

TEST(ParseConfig, GoodFileSetsEveryKey) {
  Config c = MustParse(R"(
[agent]
name = "build-01"
master = "master.example:50053"
state_dir = "/tmp/state"
control_socket = "/tmp/slothd.sock"

[telemetry]
enabled = false
address = "127.0.0.1"
port = 9191
advertise_address = "agent.example"
max_connections = 10
max_connections_per_ip = 5
connection_timeout = "3s"
max_header_bytes = 8192
threads = 4

[log]
level = "debug"
)");
  EXPECT_EQ(c.agent.name, "build-01");
  EXPECT_EQ(c.agent.master, "master.example:50053");
  EXPECT_EQ(c.agent.state_dir, "/tmp/state");
  EXPECT_EQ(c.agent.control_socket, "/tmp/slothd.sock");
  EXPECT_FALSE(c.telemetry.enabled);
  EXPECT_EQ(c.telemetry.address, "127.0.0.1");
  EXPECT_EQ(c.telemetry.port, 9191);
  EXPECT_EQ(c.telemetry.advertise_address, "agent.example");
  EXPECT_EQ(c.telemetry.max_connections, 10u);
  EXPECT_EQ(c.telemetry.max_connections_per_ip, 5u);
  EXPECT_EQ(c.telemetry.connection_timeout, 3s);
  EXPECT_EQ(c.telemetry.max_header_bytes, 8192u);
  EXPECT_EQ(c.telemetry.threads, 4u);
  EXPECT_EQ(c.log.level, sloth::LogLevel::kDebug);
}

TEST(ParseConfig, SyntaxErrorNamesFileAndLine) {
  ConfigError e = MustFail("[telemetry]\nport = 9090\nenabled = tru\n");
  EXPECT_EQ(e.source, "slothd.toml");
  EXPECT_EQ(e.line, 3u);
  EXPECT_NE(e.ToString().find("slothd.toml:3:"), std::string::npos) << e.ToString();
  EXPECT_NE(e.message.find("TOML syntax error"), std::string::npos) << e.message;
}

TEST(ParseConfig, UnknownKeyIsAnErrorListingAllowedKeys) {
  ConfigError e = MustFail("[telemetry]\nprot = 9090\n");
  EXPECT_EQ(e.key, "telemetry.prot");
  EXPECT_EQ(e.line, 2u);
  EXPECT_NE(e.message.find("unknown key"), std::string::npos);
  EXPECT_NE(e.message.find("port"), std::string::npos) << e.message;
  EXPECT_EQ(e.ToString().rfind("slothd.toml:2:1: telemetry.prot: unknown key", 0), 0u) << e.ToString();
}

TEST(ParseConfig, UnknownSectionIsAnError) {
  ConfigError e = MustFail("[telemetery]\nport = 1\n");
  EXPECT_EQ(e.key, "telemetery");
  EXPECT_NE(e.message.find("unknown section"), std::string::npos);
  EXPECT_NE(e.message.find("[telemetry]"), std::string::npos) << e.message;
}

TEST(ParseConfig, TopLevelKeyOutsideSectionIsAnError) {
  ConfigError e = MustFail("port = 9090\n");
  EXPECT_EQ(e.key, "port");
  EXPECT_EQ(e.line, 1u);
}

TEST(ParseConfig, WrongTypeSaysWhatIsExpected) {
  ConfigError e = MustFail("[telemetry]\n\nport = \"9090\"\n");
  EXPECT_EQ(e.key, "telemetry.port");
  EXPECT_EQ(e.line, 3u);
  EXPECT_NE(e.message.find("expected an integer from 0 to 65535, got a string"), std::string::npos) << e.message;
}

TEST(ParseConfig, OutOfRangeSaysAllowedRange) {
  ConfigError e = MustFail("[telemetry]\nport = 70000\n");
  EXPECT_EQ(e.ToString(), "slothd.toml:2:8: telemetry.port: expected an integer from 0 to 65535, got 70000");
}

TEST(ParseConfig, BadValuesAreRefusedWithReason) {
  EXPECT_NE(MustFail("[telemetry]\naddress = \"localhost\"\n").message.find("IPv4 or IPv6"), std::string::npos);
  EXPECT_NE(MustFail("[telemetry]\nconnection_timeout = \"10\"\n").message.find("unit"), std::string::npos);
  EXPECT_NE(MustFail("[telemetry]\nconnection_timeout = \"10ms\"\n").message.find("at least 1s"), std::string::npos);
  EXPECT_NE(MustFail("[telemetry]\nenabled = \"yes\"\n").message.find("true or false"), std::string::npos);
  EXPECT_NE(MustFail("[agent]\nname = \"has space\"\n").message.find("A-Z a-z 0-9"), std::string::npos);
  EXPECT_NE(MustFail("[agent]\nmaster = \"nohost\"\n").message.find("host:port"), std::string::npos);
  EXPECT_NE(MustFail("[agent]\nmaster = \"h:0\"\n").message.find("port from 1 to 65535"), std::string::npos);
  EXPECT_NE(MustFail("[agent]\nstate_dir = \"relative/dir\"\n").message.find("absolute path"), std::string::npos);
  EXPECT_NE(MustFail("[log]\nlevel = \"loud\"\n").message.find("\"debug\""), std::string::npos);
  EXPECT_NE(MustFail("agent = 5\n").message.find("expected a table"), std::string::npos);
}

TEST(ParseConfig, NamedChoicesAcceptTheirNamesAndListThemWhenRefused) {
  EXPECT_EQ(MustParse("[tasks]\non_stop = \"drain\"\n").tasks.on_stop, sloth::TaskStopPolicy::kDrain);
  EXPECT_EQ(MustParse("[log]\ntarget = \"journal\"\n").log.target, sloth::LogTarget::kJournal);
  EXPECT_EQ(MustFail("[tasks]\non_stop = \"wait\"\n").ToString(),
            "slothd.toml:2:11: tasks.on_stop: expected \"cancel\" or \"drain\", got \"wait\"");
  EXPECT_EQ(MustFail("[tasks]\non_stop = 1\n").message, "expected \"cancel\" or \"drain\", got an integer");
  EXPECT_EQ(MustFail("[log]\ntarget = \"syslog\"\n").message,
            "expected \"auto\", \"console\" or \"journal\", got \"syslog\"");
  EXPECT_EQ(MustFail("[log]\ntarget = true\n").message, "expected \"auto\", \"console\" or \"journal\", got a boolean");
}

TEST(ParseConfig, ShippedDefaultFileParsesToBuiltInDefaults) {
  std::ifstream in(SLOTH_SOURCE_DIR "/etc/slothd.toml");
  ASSERT_TRUE(in) << "etc/slothd.toml missing";
  std::stringstream text;
  text << in.rdbuf();
  Config shipped = MustParse(text.str());
  EXPECT_EQ(sloth::FormatConfig(shipped), sloth::FormatConfig(Config{}))
      << "etc/slothd.toml must document the built-in defaults";
}

TEST(ParseConfig, FormattedConfigParsesBackToTheSame) {
  Config c = MustParse("[agent]\nname = \"x\"\n[telemetry]\nport = 1234\nconnection_timeout = \"1m30s\"\n");
  EXPECT_EQ(sloth::FormatConfig(MustParse(sloth::FormatConfig(c))), sloth::FormatConfig(c));
}

TEST(ApplyOverrides, FlagsOverrideTheFile) {
  Config c = MustParse("[telemetry]\nport = 1234\nenabled = true\n[agent]\nname = \"file\"\n");
  sloth::CommandLine cli;
  cli.metrics_port = 0;
  cli.telemetry = false;
  cli.name = "flag";
  cli.metrics_address = "::1";
  EXPECT_FALSE(sloth::ApplyOverrides(cli, &c));
  EXPECT_EQ(c.telemetry.port, 0);
  EXPECT_FALSE(c.telemetry.enabled);
  EXPECT_EQ(c.agent.name, "flag");
  EXPECT_EQ(c.telemetry.address, "::1");
}

TEST(ApplyOverrides, BadFlagValueNamesTheFlag) {
  Config c;
  sloth::CommandLine cli;
  cli.master = "no-port";
  auto e = sloth::ApplyOverrides(cli, &c);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->ToString().rfind("--master: expected host:port", 0), 0u) << e->ToString();
}

TEST(ApplyOverrides, TheMasterRefusesTheAgentsFlagsAndTakesItsEndpointsPort) {
  Config c = sloth::DefaultConfig(sloth::Role::kMaster);
  sloth::CommandLine cli;
  cli.metrics_port = 0;
  EXPECT_FALSE(sloth::ApplyOverrides(cli, &c));
  EXPECT_EQ(c.telemetry.port, 0);
  cli.state_dir = "/var/lib/x";
  auto e = sloth::ApplyOverrides(cli, &c);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->ToString(), "--state-dir: an agent's flag; the master's settings are in [master] of its file");
}

namespace {

sloth::ConfigResult ParseAs(sloth::Role role, std::string_view text) {
  return ParseConfig(text, "master.toml", sloth::DefaultConfig(role));
}

}  // namespace

TEST(ParseConfig, TheMasterReadsItsOwnSectionAndDefaults) {
  auto parsed = ParseAs(sloth::Role::kMaster,
                        "[master]\naddress = \"::\"\nport = 6000\ncert = \"/etc/sloth/tls/master.crt\"\n"
                        "key = \"/etc/sloth/tls/master.key\"\nclient_ca = \"/etc/sloth/tls/ca.crt\"\n"
                        "operators = [\"alice\", \"ci-bot\"]\ntokens_file = \"/etc/sloth/master-tokens\"\n"
                        "state_dir = \"/srv/master\"\nheartbeat_interval = \"2s\"\nmissed_heartbeats = 5\n");
  ASSERT_TRUE(std::holds_alternative<Config>(parsed)) << std::get<ConfigError>(parsed).ToString();
  const Config& c = std::get<Config>(parsed);
  EXPECT_EQ(c.role, sloth::Role::kMaster);
  EXPECT_EQ(c.master.address, "::");
  EXPECT_EQ(c.master.port, 6000);
  EXPECT_EQ(c.master.operators, (std::vector<std::string>{"alice", "ci-bot"}));
  EXPECT_EQ(c.master.heartbeat_interval, 2s);
  EXPECT_EQ(c.master.missed_heartbeats, 5u);
  EXPECT_EQ(c.telemetry.port, 50054) << "the master's HTTP default";
  EXPECT_EQ(sloth::DefaultConfig(sloth::Role::kAgent).telemetry.port, 9090);
}

TEST(ParseConfig, EachRoleRefusesTheOthersSections) {
  auto tasks = ParseAs(sloth::Role::kMaster, "[tasks]\nmax_concurrent = 2\n");
  ASSERT_TRUE(std::holds_alternative<ConfigError>(tasks));
  EXPECT_EQ(std::get<ConfigError>(tasks).ToString(),
            "master.toml:1:2: tasks: [tasks] is an agent's section; the master reads [master], [telemetry], [log]");
  auto master = ParseAs(sloth::Role::kAgent, "[master]\nport = 1\n");
  ASSERT_TRUE(std::holds_alternative<ConfigError>(master));
  EXPECT_NE(std::get<ConfigError>(master).message.find("slothd --role master, from its own file"), std::string::npos);
}

TEST(ParseConfig, AgentLabelsAndTheMastersFiles) {
  Config c = MustParse(
      "[agent]\nmaster = \"m.example:50053\"\nmaster_ca = \"/tls/ca.crt\"\nmaster_cert = \"/tls/a.crt\"\n"
      "master_key = \"/tls/a.key\"\nmaster_server_name = \"m\"\nmaster_backoff_max = \"10s\"\n"
      "labels = { env = \"prod\", rack_1 = \"r1\" }\n");
  EXPECT_EQ(c.agent.labels, (std::map<std::string, std::string>{{"env", "prod"}, {"rack_1", "r1"}}));
  EXPECT_EQ(c.agent.master_backoff_max, 10s);
  EXPECT_EQ(sloth::FormatConfig(MustParse(sloth::FormatConfig(c))), sloth::FormatConfig(c));
  EXPECT_NE(MustFail("[agent]\nlabels = { \"bad-key\" = \"v\" }\n").message.find("A-Z a-z 0-9 _"), std::string::npos);
  EXPECT_NE(MustFail("[agent]\nlabels = { env = 1 }\n").message.find("a string for label \"env\""), std::string::npos);
  EXPECT_NE(MustFail("[agent]\nmaster_ca = \"ca.crt\"\n").message.find("absolute path"), std::string::npos);
}

TEST(CheckFleetCredentials, TcpNeedsCredentialsUnlessInsecureIsWrittenOut) {
  Config master = sloth::DefaultConfig(sloth::Role::kMaster);
  auto missing = sloth::CheckFleetCredentials(master, "master.toml");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->key, "master.cert");
  EXPECT_NE(missing->message.find("write [master] insecure = true"), std::string::npos) << missing->message;
  master.master.cert = "/c";
  master.master.key = "/k";
  EXPECT_EQ(sloth::CheckFleetCredentials(master, "master.toml")->key, "master.client_ca");
  master.master.client_ca = "/ca";
  EXPECT_FALSE(sloth::CheckFleetCredentials(master, "master.toml"));
  Config insecure = sloth::DefaultConfig(sloth::Role::kMaster);
  insecure.master.insecure = true;
  EXPECT_FALSE(sloth::CheckFleetCredentials(insecure, "master.toml"));

  Config agent;
  EXPECT_FALSE(sloth::CheckFleetCredentials(agent, "slothd.toml")) << "standalone: no TCP, nothing needed";
  agent.agent.master = "m:1";
  EXPECT_EQ(sloth::CheckFleetCredentials(agent, "slothd.toml")->key, "agent.master_ca");
  agent.agent.master_insecure = true;
  EXPECT_FALSE(sloth::CheckFleetCredentials(agent, "slothd.toml"));
}

TEST(ParseConfig, ShippedMasterFileParsesToBuiltInDefaults) {
  std::ifstream in(SLOTH_SOURCE_DIR "/etc/master.toml");
  ASSERT_TRUE(in) << "etc/master.toml missing";
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = ParseAs(sloth::Role::kMaster, text.str());
  ASSERT_TRUE(std::holds_alternative<Config>(parsed)) << std::get<ConfigError>(parsed).ToString();
  Config defaults = sloth::DefaultConfig(sloth::Role::kMaster);
  // The shipped file names the certificate files where the packages expect them.
  defaults.master.cert = "/etc/sloth-master/tls/master.crt";
  defaults.master.key = "/etc/sloth-master/tls/master.key";
  defaults.master.client_ca = "/etc/sloth-master/tls/ca.crt";
  EXPECT_EQ(sloth::FormatConfig(std::get<Config>(parsed)), sloth::FormatConfig(defaults))
      << "etc/master.toml must document the built-in defaults";
}

TEST(ParseConfig, TaskIsolationUserAndLimits) {
  Config c = MustParse(R"(
[tasks]
isolation = "unit"
user = "deploy"
allowed_users = ["nobody", "www-data"]
memory_max = "512M"
cpu_quota = "150%"
tasks_max = 64
launcher_socket = "/tmp/launcher.sock"
)");
  EXPECT_EQ(c.tasks.isolation, sloth::TaskIsolation::kUnit);
  EXPECT_EQ(c.tasks.user, "deploy");
  EXPECT_EQ(c.tasks.allowed_users, (std::vector<std::string>{"nobody", "www-data"}));
  EXPECT_EQ(c.tasks.limits.memory_max, uint64_t{512} << 20);
  EXPECT_EQ(c.tasks.limits.cpu_quota, 150u);
  EXPECT_EQ(c.tasks.limits.tasks_max, 64u);
  EXPECT_EQ(c.tasks.launcher_socket, "/tmp/launcher.sock");
  // "max" is the default: no limit.
  Config d = MustParse("[tasks]\nmemory_max = \"max\"\ncpu_quota = \"max\"\ntasks_max = \"max\"\n");
  EXPECT_EQ(d.tasks.limits, sloth::TaskLimits{});
  EXPECT_EQ(MustParse("").tasks.user, "root");
  EXPECT_EQ(MustParse("").tasks.isolation, sloth::TaskIsolation::kAuto);
}

TEST(ParseConfig, TaskUsersAndLimitsAreRefusedWithWhatIsAllowed) {
  EXPECT_NE(MustFail("[tasks]\nuser = \"-rf\"\n").message.find("expected a user name"), std::string::npos);
  EXPECT_NE(MustFail("[tasks]\nallowed_users = \"nobody\"\n").message.find("an array of strings"), std::string::npos);
  EXPECT_NE(MustFail("[tasks]\nallowed_users = [\"a\", \"a\"]\n").message.find("listed twice"), std::string::npos);
  const ConfigError memory = MustFail("[tasks]\nmemory_max = \"12 apples\"\n");
  EXPECT_EQ(memory.key, "tasks.memory_max");
  EXPECT_NE(memory.message.find("\"512M\""), std::string::npos) << memory.message;
  EXPECT_NE(MustFail("[tasks]\ncpu_quota = \"50\"\n").message.find("\"1%\""), std::string::npos);
  EXPECT_NE(MustFail("[tasks]\ntasks_max = 0\n").message.find("at least 1"), std::string::npos);
  EXPECT_NE(MustFail("[tasks]\nisolation = \"vm\"\n").message.find("\"process\""), std::string::npos);
}

TEST(ParseConfig, ConnectionLimitsLeaveRoomWhenAFewAddressesFillTheirShare) {
  Config c = MustParse("");
  // Eight addresses at their limit take an eighth of the server at most.
  EXPECT_LE(8 * c.telemetry.max_connections_per_ip, c.telemetry.max_connections / 8);
  EXPECT_EQ(c.telemetry.request_timeout, 5s);
  EXPECT_EQ(MustParse("[telemetry]\nrequest_timeout = \"750ms\"\n").telemetry.request_timeout, 750ms);
  EXPECT_EQ(MustFail("[telemetry]\nrequest_timeout = \"10ms\"\n").message, "expected at least 100ms, got 10ms");
}

TEST(ParseConfig, TaskSeriesCapIsConfigurable) {
  EXPECT_EQ(MustParse("").telemetry.max_task_series, 1000u);
  EXPECT_EQ(MustParse("[telemetry]\nmax_task_series = 20\n").telemetry.max_task_series, 20u);
  EXPECT_EQ(MustFail("[telemetry]\nmax_task_series = 0\n").message, "expected an integer from 1 to 100000, got 0");
}

TEST(ParseConfig, TaskEnvironmentIsATableOfStrings) {
  Config c = MustParse("[tasks]\nenvironment = { HTTP_PROXY = \"http://p:3128\", LANG = \"de_DE.UTF-8\" }\n");
  using Entry = std::pair<std::string, std::string>;
  EXPECT_EQ(c.tasks.environment, (std::vector<Entry>{{"HTTP_PROXY", "http://p:3128"}, {"LANG", "de_DE.UTF-8"}}));
  EXPECT_TRUE(MustParse("").tasks.environment.empty());
  EXPECT_EQ(MustFail("[tasks]\nenvironment = { A = 1 }\n").message, "A: expected a string, got an integer");
  EXPECT_EQ(MustFail("[tasks]\nenvironment = { \"A=B\" = \"x\" }\n").message,
            "expected variable names of A-Z a-z 0-9 _ (not starting with a digit), got \"A=B\"");
  EXPECT_EQ(MustFail("[tasks]\nenvironment = \"A=1\"\n").key, "tasks.environment");
  // Round trip through the printed form.
  EXPECT_EQ(sloth::FormatConfig(MustParse(sloth::FormatConfig(c))), sloth::FormatConfig(c));
}

TEST(ParseConfig, ControlGroupIsAGroupNameOrEmpty) {
  EXPECT_EQ(MustParse("").agent.control_group, "slothd");
  EXPECT_EQ(MustParse("[agent]\ncontrol_group = \"\"\n").agent.control_group, "");
  EXPECT_EQ(MustParse("[agent]\ncontrol_group = \"ops\"\n").agent.control_group, "ops");
  EXPECT_EQ(MustFail("[agent]\ncontrol_group = \"a b\"\n").key, "agent.control_group");
}

// Found by config_fuzz (tests/fuzz/corpus/config/crash-nul-in-state-dir.toml): a path with
// "\u0000" was accepted, and the daemon would have used the part before the NUL.
TEST(ParseConfig, StringsWithNulAreRefused) {
  EXPECT_EQ(MustFail("[agent]\nstate_dir = \"/var/lib/x\\u0000/etc\"\n").ToString(),
            "slothd.toml:2:13: agent.state_dir: expected a string without NUL characters (\\u0000)");
  EXPECT_EQ(MustFail("[telemetry]\nadvertise_address = \"a\\u0000b\"\n").key, "telemetry.advertise_address");
}
