// slothd: wires the core (config, telemetry) to its adapters (HTTP) and runs until a signal.
#include <signal.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "common/log.h"
#include "daemon/command_line.h"
#include "daemon/core/agent_info.h"
#include "daemon/core/config.h"
#include "daemon/core/control_api.h"
#include "daemon/core/tasks/task_runner.h"
#include "daemon/core/telemetry/telemetry.h"
#include "daemon/grpc/control_server.h"
#include "daemon/grpc/control_socket.h"
#include "daemon/http/metrics_http_server.h"
#include "daemon/net/tcp_listen.h"

namespace sloth {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // could not start: a listener, a resource
constexpr int kExitUsage = 2;    // bad flags or configuration; nothing was started

// How long in-flight HTTP responses may take to finish after SIGTERM.
constexpr auto kShutdownGrace = std::chrono::milliseconds(800);

std::string DefaultAgentName() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "slothd";
  std::string name;
  for (const char* p = host; *p && name.size() < 64; ++p) {
    const char c = *p;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    name.push_back(ok ? c : '-');
  }
  return name;
}

// The configuration from the file (if any) and the flags, or the error to print.
std::variant<Config, ConfigError> LoadConfiguration(const CommandLine& cli, std::string* loaded_from) {
  Config config;
  std::ifstream file(cli.config_path);
  if (file) {
    std::stringstream text;
    text << file.rdbuf();
    auto parsed = ParseConfig(text.str(), cli.config_path);
    if (auto* error = std::get_if<ConfigError>(&parsed)) return *error;
    config = std::get<Config>(parsed);
    *loaded_from = cli.config_path;
  } else if (cli.config_path_given || errno != ENOENT) {
    return ConfigError{cli.config_path, 0, 0, "",
                       fmt::format("cannot read the configuration file: {}", std::strerror(errno))};
  } else {
    *loaded_from = "built-in defaults";
  }
  if (auto error = ApplyOverrides(cli, &config)) return *error;
  if (config.agent.name.empty()) config.agent.name = DefaultAgentName();
  return config;
}

// A health problem, or nullopt. Checked on every GET /health, so it is never stale.
std::optional<std::string> UnhealthyReason(const Config& config, const std::atomic<bool>& stopping) {
  if (stopping.load()) return "stopping: the agent is shutting down";
  if (::access(config.agent.state_dir.c_str(), W_OK) != 0) {
    return fmt::format("state directory {} is not writable: {}", config.agent.state_dir, std::strerror(errno));
  }
  return std::nullopt;
}

int Run(const Config& config, const std::string& loaded_from) {
  Logger log(std::make_unique<ConsoleLogSink>(stderr), config.log.level);

  // Signals are taken synchronously by the main thread; block them before any thread starts
  // so no pool thread receives them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  std::error_code ec;
  std::filesystem::create_directories(config.agent.state_dir, ec);
  if (ec) {
    log.Warning(fmt::format("cannot create state directory {}: {}; /health reports 503 until it is writable "
                            "(set --state-dir or agent.state_dir)",
                            config.agent.state_dir, ec.message()));
  }

  Telemetry telemetry(CurrentBuildIdentity(config.agent.name),
                      Telemetry::Options{.max_label_values = config.telemetry.max_label_values});
  TaskRunner::Options runner_options;
  runner_options.max_concurrent = config.tasks.max_concurrent;
  runner_options.max_queued = config.tasks.max_queued;
  runner_options.default_timeout = config.tasks.default_timeout;
  runner_options.kill_grace = config.tasks.kill_grace;
  runner_options.max_kept_output_bytes = config.tasks.max_output_bytes;
  runner_options.default_workdir = config.tasks.workdir;
  runner_options.history_size = config.tasks.history;
  TaskRunner runner(runner_options, telemetry, log);

  std::atomic<bool> stopping{false};
  std::string metrics_url;
  auto agent_info = [&] {
    return AgentInfo{telemetry.identity(),        static_cast<int>(::getpid()), telemetry.start_time(),
                     telemetry.UptimeSeconds(),   config.agent.master,          metrics_url,
                     config.agent.control_socket, static_cast<uint32_t>(runner.running())};
  };
  auto unhealthy_reason = [&config, &stopping] { return UnhealthyReason(config, stopping); };

  // The control plane: gRPC on the Unix socket.
  UniqueFd control_lock;
  std::string control_error;
  UniqueFd control_fd = ListenControlSocket(config.agent.control_socket, &control_lock, &control_error);
  if (!control_fd) {
    log.Error(control_error);
    return kExitFailure;
  }
  ControlApi control_api(runner, telemetry, log, ControlApi::Sources{agent_info, unhealthy_reason});
  ControlServer control(std::move(control_fd), control_api, telemetry, log);

  std::unique_ptr<MetricsHttpServer> http;
  if (config.telemetry.enabled) {
    std::string error;
    UniqueFd fd = ListenTcp(config.telemetry.address, config.telemetry.port, 128, &error);
    if (!fd) {
      log.Error(fmt::format("{}; choose another port with --metrics-port (or telemetry.port), or stop the "
                            "process using it",
                            error));
      ::unlink(config.agent.control_socket.c_str());
      return kExitFailure;
    }
    const uint16_t port = BoundPort(fd.get());
    const std::string host = config.telemetry.advertise_address.empty()
                                 ? ReachableAddress(config.telemetry.address)
                                 : config.telemetry.advertise_address;
    metrics_url = fmt::format("http://{}/metrics", FormatHostPort(host, port));
    MetricsHttpServer::Pages pages;
    pages.metrics = [&telemetry](bool gzip) { return telemetry.Scrape(gzip); };
    pages.unhealthy_reason = unhealthy_reason;
    pages.info_json = [&agent_info] { return AgentInfoJson(agent_info()); };
    const auto& t = config.telemetry;
    http = std::make_unique<MetricsHttpServer>(
        std::move(fd),
        MetricsHttpServer::Limits{t.max_connections, t.max_connections_per_ip, t.connection_timeout,
                                  t.max_header_bytes, t.threads},
        std::move(pages), log);
  }

  log.Notice(fmt::format("slothd {} agent {} ready ({}); control socket {}; metrics {}",
                         telemetry.identity().version, config.agent.name, loaded_from, config.agent.control_socket,
                         metrics_url.empty() ? "disabled" : metrics_url),
             {{"SLOTH_AGENT", config.agent.name},
              {"SLOTH_CONTROL_SOCKET", config.agent.control_socket},
              {"SLOTH_METRICS_URL", metrics_url.empty() ? "-" : metrics_url}});
  sd_notifyf(0, "READY=1\nSTATUS=agent %s: serving", config.agent.name.c_str());

  for (;;) {
    siginfo_t info{};
    const int sig = ::sigwaitinfo(&signals, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      log.Error(fmt::format("sigwaitinfo: {}", std::strerror(errno)));
      break;
    }
    if (sig == SIGHUP) {
      log.Warning("SIGHUP: configuration reload is not supported yet; restart slothd to apply changes");
      continue;
    }
    log.Notice(fmt::format("{} received from pid {}: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                           info.si_pid));
    break;
  }
  sd_notify(0, "STOPPING=1");
  stopping = true;
  control.StopAccepting();
  // Running tasks are cancelled (SIGTERM to their groups, SIGKILL after kill_grace); their
  // callers get the result before the control server closes.
  runner.Shutdown(Duration::zero());
  control.Shutdown(kShutdownGrace);
  ::unlink(config.agent.control_socket.c_str());
  if (http) http->Shutdown(kShutdownGrace);
  log.Notice("stopped");
  return kExitOk;
}

}  // namespace
}  // namespace sloth

int main(int argc, char** argv) {
  using namespace sloth;
  auto parsed = ParseCommandLine(argc, argv);
  if (auto* exit = std::get_if<CommandLineExit>(&parsed)) return exit->code;
  const CommandLine& cli = std::get<CommandLine>(parsed);

  std::string loaded_from;
  auto loaded = LoadConfiguration(cli, &loaded_from);
  if (auto* error = std::get_if<ConfigError>(&loaded)) {
    std::cerr << "slothd: configuration error: " << error->ToString() << "\n";
    return kExitUsage;
  }
  const Config& config = std::get<Config>(loaded);
  if (cli.check_config) {
    std::cout << "# slothd: configuration OK (" << loaded_from << ")\n" << FormatConfig(config);
    return kExitOk;
  }
  try {
    return Run(config, loaded_from);
  } catch (const std::exception& e) {
    std::cerr << "slothd: " << e.what() << "\n";
    return kExitFailure;
  }
}
