// slothd: reads its configuration, builds the Agent, and runs the main loop (signals, reload,
// watchdog) until SIGTERM/SIGINT.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>

#include <fmt/format.h>

#include "common/log.h"
#include "common/message_ids.h"
#include "daemon/agent.h"
#include "daemon/command_line.h"
#include "daemon/config_file.h"
#include "daemon/core/agent_info.h"
#include "daemon/core/config.h"
#include "daemon/core/telemetry/telemetry.h"
#include "daemon/descriptor_limit.h"
#include "daemon/http/web_config_files.h"
#include "daemon/master_role.h"
#include "daemon/systemd/journal_log_sink.h"
#include "daemon/systemd/listen_fds.h"
#include "daemon/systemd/notifier.h"

namespace sloth {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // could not start: a listener, a resource
constexpr int kExitUsage = 2;    // bad flags or configuration; nothing was started

std::string DefaultAgentName() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "slothd";
  std::string name;
  for (const char* p = host; *p && name.size() < 64; ++p) {
    const char c = *p;
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    name.push_back(ok ? c : '-');
  }
  return name;
}

// The configuration from the file (if any) and the flags, or the error to print.
std::variant<Config, ConfigError> LoadConfiguration(const CommandLine& cli, std::string* loaded_from) {
  Config config = DefaultConfig(cli.role);
  auto text = ReadConfigFile(cli.config_path);
  if (text) {
    auto parsed = ParseConfig(*text, cli.config_path, config);
    if (auto* error = std::get_if<ConfigError>(&parsed)) return *error;
    config = std::get<Config>(parsed);
    *loaded_from = cli.config_path;
  } else if (cli.config_path_given || !text.error().missing) {
    return ConfigError{cli.config_path, 0, 0, "", text.error().message};
  } else {
    *loaded_from = "built-in defaults";
  }
  if (auto error = ApplyOverrides(cli, &config)) return *error;
  if (config.agent.name.empty()) config.agent.name = DefaultAgentName();
  if (auto error = CheckFleetCredentials(config, *loaded_from)) return *error;
  return config;
}

std::unique_ptr<LogSink> MakeLogSink(LogTarget target, const std::string& agent_name) {
  const bool journal = target == LogTarget::kJournal || (target == LogTarget::kAuto && StderrIsJournal());
  if (journal) {
    const auto& lib = Libsystemd::Get();
    if (lib) return std::make_unique<JournalLogSink>(**lib, agent_name);
    std::fprintf(stderr, "slothd: journal logging unavailable (%s); logging to stderr\n", lib.error().message.c_str());
  }
  return std::make_unique<ConsoleLogSink>(stderr);
}

// The main loop: signals, and the watchdog ping at half of WATCHDOG_USEC, until SIGTERM or
// SIGINT. Pinging from here means a hung loop stops the pings and systemd restarts the daemon.
void RunUntilStopped(const sigset_t& signals, SystemdNotifier& notifier, Logger& log,
                     const std::function<void()>& reload) {
  const auto ping_interval = notifier.watchdog_ping_interval();
  auto next_ping = std::chrono::steady_clock::now();
  for (;;) {
    if (ping_interval && std::chrono::steady_clock::now() >= next_ping) {
      notifier.WatchdogPing();
      next_ping = std::chrono::steady_clock::now() + *ping_interval;
    }
    siginfo_t info{};
    int sig;
    if (ping_interval) {
      const auto wait = std::max(std::chrono::nanoseconds(0), next_ping - std::chrono::steady_clock::now());
      const timespec timeout{static_cast<time_t>(wait.count() / 1000000000),
                             static_cast<long>(wait.count() % 1000000000)};
      sig = ::sigtimedwait(&signals, &info, &timeout);
    } else {
      sig = ::sigwaitinfo(&signals, &info);
    }
    if (sig < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      log.Error(fmt::format("sigwait: {}", std::strerror(errno)));
      return;
    }
    if (sig == SIGHUP) {
      log.Notice(fmt::format("SIGHUP received from pid {}: reloading the configuration", info.si_pid));
      reload();
      continue;
    }
    log.Log(LogLevel::kNotice,
            fmt::format("{} received from pid {}: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT", info.si_pid),
            {}, message_id::kAgentStopping);
    return;
  }
}

int Run(const Config& config, const CommandLine& cli, const std::string& loaded_from) {
  Logger log(MakeLogSink(config.log.target, config.agent.name), config.log.level);
  if (config.role == Role::kAgent) {
    if (auto note = RaiseDescriptorLimit(DescriptorsNeeded(config))) log.Warning(*note);
  }

  // Signals are taken synchronously by the main thread; block them before any thread starts
  // so no other thread receives them (the task runner resets the mask for tasks).
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  SystemdNotifier notifier;
  auto source = [&cli](std::string* reloaded_from) { return LoadConfiguration(cli, reloaded_from); };
  if (config.role == Role::kMaster) {
    std::unique_ptr<Master> master;
    try {
      master = std::make_unique<Master>(config, loaded_from, log, source);
    } catch (const AgentConfigError& e) {
      log.Error(fmt::format("configuration error: {}", e.what()));
      return kExitUsage;
    } catch (const AgentStartError& e) {
      log.Error(e.what());
      return kExitFailure;
    }
    notifier.Ready(master->StatusLine());
    RunUntilStopped(signals, notifier, log, [&] {
      notifier.Reloading("reloading configuration");
      [[maybe_unused]] auto reloaded = master->ReloadConfiguration();  // logged either way
      notifier.Ready(master->StatusLine());
    });
    notifier.Stopping(fmt::format("stopping: {}", master->StatusLine()));
    master->Stop();
    log.Notice("stopped");
    return kExitOk;
  }

  std::unique_ptr<Agent> agent;
  try {
    agent = std::make_unique<Agent>(config, loaded_from, log, TakePassedSockets(log), source, notifier);
  } catch (const AgentConfigError& e) {
    log.Error(fmt::format("configuration error: {}", e.what()));
    return kExitUsage;
  } catch (const AgentStartError& e) {
    log.Error(e.what());
    return kExitFailure;
  }
  agent->set_on_task_change([&](const TaskResult&) { notifier.Status(agent->StatusLine()); });
  notifier.Ready(agent->StatusLine());
  RunUntilStopped(signals, notifier, log, [&] {
    [[maybe_unused]] auto reloaded = agent->ReloadConfiguration();  // logged either way
  });
  notifier.Stopping(fmt::format("stopping: {}", agent->StatusLine()));
  agent->Stop();
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
    if (!config.telemetry.web_config.empty()) {
      if (auto web = LoadWebConfig(config.telemetry.web_config); !web) {
        std::cerr << "slothd: configuration error: " << web.error().ToString() << "\n";
        return kExitUsage;
      }
    }
    std::cout << "# slothd: configuration OK (" << loaded_from << ")\n" << FormatConfig(config);
    return kExitOk;
  }
  try {
    return Run(config, cli, loaded_from);
  } catch (const std::exception& e) {
    std::cerr << "slothd: " << e.what() << "\n";
    return kExitFailure;
  }
}
