#pragma once
// slothd's configuration: built-in defaults, the TOML file (toml++), and validation.
// Pure: parsing takes the file's text; reading the file is the caller's job.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/duration.h"
#include "common/log.h"
#include "daemon/core/tasks/task_limits.h"

namespace sloth {

inline constexpr std::string_view kDefaultConfigPath = "/etc/sloth/slothd.toml";
// The master's own directory, not /etc/sloth: the agent's tasks run as user slothd, which may
// read /etc/sloth, and must never read the master's key or tokens.
inline constexpr std::string_view kDefaultMasterConfigPath = "/etc/sloth-master/master.toml";

// What this slothd is: an agent that runs tasks, or the master agents dial (doc/fleet.md).
enum class Role { kAgent, kMaster };

struct AgentConfig {
  std::string name;    // empty: the host name, filled in by the daemon at start
  std::string master;  // host:port of the master, empty: standalone
  std::string state_dir = "/var/lib/slothd";
  std::string control_socket = "/run/slothd/slothd.sock";
  // Dialling the master: mutual TLS with these PEM files, unless master_insecure is written out.
  std::string master_ca;           // the CA that signed the master's certificate
  std::string master_cert;         // this agent's certificate: its CN or a DNS SAN is the agent's name
  std::string master_key;          // its private key
  std::string master_server_name;  // the name the master's certificate must carry; empty: master's host
  bool master_insecure = false;
  Duration master_backoff_max = std::chrono::seconds(30);  // longest wait between dials
  std::map<std::string, std::string> labels;               // reported to the master (__meta_sloth_label_*)
  // Besides root and the daemon's own user, members of this group may use the control socket
  // (checked with SO_PEERCRED on every connection). Empty: no group.
  std::string control_group = "slothd";
  bool operator==(const AgentConfig&) const = default;
};

// slothd --role master: the registry agents dial, and the relay to them (doc/fleet.md).
struct MasterConfig {
  std::string address = "0.0.0.0";
  uint16_t port = 50053;  // 0: pick a free port and report it
  std::string cert;       // the master's certificate (PEM)
  std::string key;
  std::string client_ca;               // the CA that signed agents' and operators' certificates
  bool insecure = false;               // listen without TLS: only when written out
  std::vector<std::string> operators;  // client-certificate names (CN or DNS SAN) that are operators
  std::string tokens_file;             // "NAME SHA256" lines: operators' bearer tokens, hashed
  std::string state_dir = "/var/lib/slothd-master";
  Duration heartbeat_interval = std::chrono::seconds(5);
  uint32_t missed_heartbeats = 3;  // intervals without one before an agent is down
};

struct TelemetryConfig {
  bool enabled = true;
  std::string address = "0.0.0.0";
  uint16_t port = 9090;           // 0: pick a free port and report it
  std::string advertise_address;  // host in the reported metrics URL; empty: derived
  // Sized so that a handful of client addresses cannot take every connection.
  uint32_t max_connections = 1024;  // whole server
  uint32_t max_connections_per_ip = 16;
  Duration connection_timeout = std::chrono::seconds(10);  // inactivity: idle clients are cut after it
  Duration request_timeout = std::chrono::seconds(5);      // a whole request head must arrive within it
  uint32_t max_header_bytes = 16384;                       // request line + headers; beyond it: 431, nothing buffered
  uint32_t threads = 2;
  uint32_t max_label_values = 500;   // distinct task/group label values; beyond: "_other"
  uint32_t max_task_series = 1000;   // distinct (group, task) pairs of the per-task families; beyond: "_other"
  std::string web_config;            // exporter-toolkit web-config file (TLS, basic auth); empty: plain HTTP
  bool health_without_auth = false;  // /health answers without basic auth (for probes)
};

// What SIGTERM does to running tasks: cancel them now, or let them finish for up to
// drain_timeout first (keep it below the unit's TimeoutStopSec minus kill_grace).
enum class TaskStopPolicy { kCancel, kDrain };

// Where tasks run: "auto" is unit mode under systemd with the launcher's socket there, process
// mode otherwise; "unit" refuses to start without them; "process" always forks tasks itself.
enum class TaskIsolation { kAuto, kUnit, kProcess };

struct TaskConfig {
  uint32_t max_concurrent = 16;  // tasks running at once; more wait in the queue
  uint32_t max_queued = 256;     // waiting tasks; beyond it a request is refused
  Duration default_timeout = std::chrono::hours(1);
  Duration kill_grace = std::chrono::seconds(5);  // SIGTERM, then SIGKILL to the group
  uint64_t max_output_bytes = 1 << 20;            // kept output per task; the rest is counted, not kept
  std::string workdir = "/";
  // Tasks start with PATH, HOME, LANG, USER and LOGNAME for the daemon's user, then these, then
  // what the request sets; nothing of the daemon's own environment.
  std::vector<std::pair<std::string, std::string>> environment;
  uint32_t history = 100;  // finished tasks remembered for ListTasks
  TaskStopPolicy on_stop = TaskStopPolicy::kCancel;
  Duration drain_timeout = std::chrono::seconds(30);
  TaskIsolation isolation = TaskIsolation::kAuto;
  std::string user = "root";               // unit mode: who tasks run as unless a request names another
  std::vector<std::string> allowed_users;  // the users a request may name besides `user`
  TaskLimits limits;                       // memory_max, cpu_quota, tasks_max; unset: none
  std::string launcher_socket = "/run/slothd/launcher.sock";  // slothd-launcher's (unit mode)
  bool operator==(const TaskConfig&) const = default;
};

// Workflow runs (slothctl run -f FILE): how many of a run's tasks run at once, unless a group's
// `parallel` asks for fewer, and how many finished runs are remembered for listing.
struct WorkflowConfig {
  uint32_t max_parallel = 16;
  uint32_t history = 20;
  bool operator==(const WorkflowConfig&) const = default;
};

// Where logs go: "auto" is the journal when stderr is connected to it, else the console.
enum class LogTarget { kAuto, kConsole, kJournal };

struct LogConfig {
  LogLevel level = LogLevel::kInfo;
  LogTarget target = LogTarget::kAuto;
};

struct Config {
  Role role = Role::kAgent;
  AgentConfig agent;
  MasterConfig master;
  TelemetryConfig telemetry;
  TaskConfig tasks;
  WorkflowConfig workflows;
  LogConfig log;
};

// Where and why a configuration was refused. `line` is 0 when the problem has no position
// (a command-line flag, a missing file).
struct ConfigError {
  std::string source;  // file path or "--flag"
  uint32_t line = 0;
  uint32_t column = 0;
  std::string key;  // "telemetry.port"; empty for syntax errors
  std::string message;

  // "slothd.toml:12:8: telemetry.port: expected an integer from 0 to 65535, got 70000"
  std::string ToString() const;
};

using ConfigResult = std::variant<Config, ConfigError>;

// The built-in defaults of `role` (the master serves its HTTP endpoints on 50054, not 9090).
Config DefaultConfig(Role role);

// Applies the TOML document `text` (named `source` in errors) on top of `base`.
// Unknown sections and keys are errors, with the allowed ones listed; so are sections of the
// other role ([master] in an agent's file, [agent] and [tasks] in the master's).
ConfigResult ParseConfig(std::string_view text, std::string_view source, const Config& base = Config{});

// Validators shared by the file parser and the command-line flags; nullopt when valid,
// otherwise what is allowed.
std::optional<std::string> CheckAgentName(std::string_view name);
std::optional<std::string> CheckMasterAddress(std::string_view host_port);
std::optional<std::string> CheckListenAddress(std::string_view address);
std::optional<std::string> CheckAbsolutePath(std::string_view path);
// An agent label's key: it becomes a Prometheus label name after "__meta_sloth_label_".
std::optional<std::string> CheckLabelKey(std::string_view key);

// The fleet's TCP connections need credentials: the master's listener its certificate, key and
// client CA, an agent with a master its CA, certificate and key; unless `insecure = true`
// (master_insecure) is written out. The error names the first missing key.
std::optional<ConfigError> CheckFleetCredentials(const Config& config, std::string_view source);
// A user name as useradd(8) allows it: 1-32 of a-z A-Z 0-9 _ - . (not starting with '-'), with an
// optional trailing '$'.
std::optional<std::string> CheckUserName(std::string_view name);

// Empty (none) or an absolute path.
std::optional<std::string> CheckOptionalAbsolutePath(std::string_view path);

// The effective configuration as a TOML document (for --check-config and docs).
std::string FormatConfig(const Config& config);

}  // namespace sloth
