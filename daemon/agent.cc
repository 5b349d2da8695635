#include "daemon/agent.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

#include "common/message_ids.h"
#include "daemon/core/tasks/process_starter.h"
#include "daemon/core/tasks/unit_starter.h"
#include "daemon/grpc/control_socket.h"
#include "daemon/health_checks.h"
#include "daemon/http/web_config_files.h"
#include "daemon/modules/module_loader.h"
#include "daemon/net/tcp_listen.h"
#include "daemon/units/cgroup_support.h"
#include "daemon/units/systemd_transient_units.h"

namespace sloth {
namespace {

// Connections waiting to be accepted. At 128, a burst of reconnecting clients (1,000 scrapers
// and 500 cut tricklers) filled the queue and the kernel dropped a /health probe's SYN: a 1 s
// retransmission. systemd's sockets use SOMAXCONN (Backlog=) too.
constexpr int kHttpListenBacklog = SOMAXCONN;
// How long in-flight HTTP responses and control calls may take to finish when stopping.
constexpr auto kServerGrace = std::chrono::milliseconds(800);

TaskRunner::Options RunnerOptions(const TaskConfig& t) {
  TaskRunner::Options o;
  o.max_concurrent = t.max_concurrent;
  o.max_queued = t.max_queued;
  o.default_timeout = t.default_timeout;
  o.kill_grace = t.kill_grace;
  o.max_kept_output_bytes = t.max_output_bytes;
  o.default_workdir = t.workdir;
  o.history_size = t.history;
  o.default_user = t.user;
  o.allowed_users = t.allowed_users;
  o.default_limits = t.limits;
  o.environment = t.environment;
  return o;
}

// Started by systemd as a service: it set INVOCATION_ID, and it is our parent.
bool RunsAsService() { return std::getenv("INVOCATION_ID") != nullptr && ::getppid() == 1; }

// Unit mode's pieces, or why they cannot be had here.
Result<std::unique_ptr<SystemdTransientUnits>> ConnectTransientUnits(const TaskConfig& t) {
  if (!RunsAsService()) return Failure{"slothd was not started by systemd"};
  if (::access(t.launcher_socket.c_str(), F_OK) != 0) {
    return Failure{fmt::format("the launcher's socket {} is missing (systemctl enable --now slothd-launcher.socket)",
                               t.launcher_socket)};
  }
  auto symbol = LoadModuleSymbol(kUnitsModuleFileName, kCreateUnitWatcherSymbol);
  if (!symbol) return symbol.error();
  auto watcher = reinterpret_cast<CreateUnitWatcherFn>(*symbol)();
  if (!watcher) return watcher.error();
  auto units = std::make_unique<SystemdTransientUnits>(std::move(watcher).value(), t.launcher_socket);
  if (auto connected = units->launcher().Connect(); !connected) return connected.error();
  return units;
}

// "memory_max: <why>; cpu_quota: <why>" for the limits `support` does not enforce; "" if none.
std::string UnenforcedLimits(const LimitSupport& support) {
  std::vector<std::string> parts;
  if (!support.memory.empty()) parts.push_back("memory_max: " + support.memory);
  if (!support.cpu.empty()) parts.push_back("cpu_quota: " + support.cpu);
  if (!support.tasks.empty()) parts.push_back("tasks_max: " + support.tasks);
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::optional<std::string> UnixSocketPath(int fd) {
  sockaddr_un addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || addr.sun_family != AF_UNIX ||
      addr.sun_path[0] == '\0') {
    return std::nullopt;
  }
  return std::string(addr.sun_path);
}

// A system bus may be there: an address is given, or the standard socket exists. Elsewhere the
// D-Bus module is not even loaded.
bool SystemBusMayExist() {
  return std::getenv("DBUS_SYSTEM_BUS_ADDRESS") != nullptr || ::access("/run/dbus/system_bus_socket", F_OK) == 0;
}

// The settings of the stream to the master; a reload that changes them dials again.
bool SameMasterLink(const AgentConfig& a, const AgentConfig& b) {
  return a.master == b.master && a.master_ca == b.master_ca && a.master_cert == b.master_cert &&
         a.master_key == b.master_key && a.master_server_name == b.master_server_name &&
         a.master_insecure == b.master_insecure && a.master_backoff_max == b.master_backoff_max && a.labels == b.labels;
}

// A whole file, or errno's words.
Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return Failure{std::strerror(errno)};
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

bool SameListener(const TelemetryConfig& a, const TelemetryConfig& b) {
  return a.enabled == b.enabled && a.address == b.address && a.port == b.port;
}

// The web-config the telemetry server needs: null when it has none (or is off).
Result<std::shared_ptr<const LoadedWebConfig>, ConfigError> LoadWebConfigFor(const TelemetryConfig& t, bool serving) {
  if (!serving || t.web_config.empty()) return std::shared_ptr<const LoadedWebConfig>();
  return LoadWebConfig(t.web_config);
}

bool SameWebConfig(const std::shared_ptr<const LoadedWebConfig>& a, const std::shared_ptr<const LoadedWebConfig>& b) {
  return a == b || (a && b && *a == *b);
}

bool SameHttpSettings(const TelemetryConfig& a, const TelemetryConfig& b) {
  return SameListener(a, b) && a.advertise_address == b.advertise_address && a.max_connections == b.max_connections &&
         a.max_connections_per_ip == b.max_connections_per_ip && a.connection_timeout == b.connection_timeout &&
         a.request_timeout == b.request_timeout && a.max_header_bytes == b.max_header_bytes && a.threads == b.threads;
}

}  // namespace

Agent::Agent(Config config, std::string loaded_from, Logger& log, PassedSockets passed, ConfigSource source,
             SystemdNotifier& notifier)
    : log_(log),
      config_source_(std::move(source)),
      notifier_(notifier),
      config_(std::make_shared<const Config>(config)),
      web_([&] {
        // First, so a bad web-config stops the start before anything is opened.
        auto web = LoadWebConfigFor(config.telemetry, config.telemetry.enabled || passed.metrics);
        if (!web) throw AgentConfigError(web.error().ToString());
        return *web;
      }()),
      telemetry_(CurrentBuildIdentity(config.agent.name),
                 Telemetry::Options{.max_label_values = config.telemetry.max_label_values,
                                    .max_task_series = config.telemetry.max_task_series}),
      starter_(ChooseStarter(config)),
      runner_(
          [&] {
            TaskRunner::Options o = RunnerOptions(config.tasks);
            o.on_change = [this](const TaskResult& task) { OnTaskChange(task); };
            o.starter = starter_.get();
            // The runner's journal lives there; a failure is said below, and the runner says its own.
            std::error_code ignored;
            std::filesystem::create_directories(config.agent.state_dir, ignored);
            o.state_dir = config.agent.state_dir;
            return o;
          }(),
          telemetry_, log),
      workflows_(WorkflowRuns::Options{config.workflows.max_parallel, config.workflows.history}, runner_, telemetry_,
                 log),
      control_api_(runner_, workflows_, telemetry_, log,
                   ControlApi::Sources{[this] { return Info(); }, [this] { return UnhealthyReason(); },
                                       [this] { return ReloadConfiguration(); }}) {
  std::error_code ec;
  std::filesystem::create_directories(config.agent.state_dir, ec);
  if (ec) {
    log_.Warning(
        fmt::format("cannot create state directory {}: {}; /health reports 503 until it is writable "
                    "(set --state-dir or agent.state_dir)",
                    config.agent.state_dir, ec.message()));
  }

  // Before any listener, so no task can change before dbus_ is set. Without D-Bus the agent
  // still serves its socket and HTTP.
  if (SystemBusMayExist()) {
    auto symbol = LoadModuleSymbol(kDbusModuleFileName, kCreateDbusFrontEndSymbol);
    auto created = symbol ? reinterpret_cast<CreateDbusFrontEndFn>(*symbol)(&control_api_, &log_)
                          : Result<std::unique_ptr<DbusFrontEnd>>(symbol.error());
    if (created) {
      dbus_ = std::move(created).value();
    } else {
      log_.Notice(fmt::format("running without D-Bus: {}", created.error().message));
    }
  }
  // If a listener below fails, stop the bus thread before the members its calls use are destroyed.
  struct StopDbusIfThrown {
    DbusFrontEnd* dbus;
    int uncaught = std::uncaught_exceptions();
    ~StopDbusIfThrown() {
      if (dbus != nullptr && std::uncaught_exceptions() > uncaught) dbus->Shutdown();
    }
  } stop_dbus_if_thrown{dbus_.get()};

  UniqueFd control_fd;
  if (passed.control) {
    control_passed_ = true;
    control_fd = std::move(passed.control);
    // Report the path systemd bound (slothd.socket), not the configured one.
    if (auto path = UnixSocketPath(control_fd.get())) {
      Config effective = config;
      effective.agent.control_socket = *path;
      config_ = std::make_shared<const Config>(std::move(effective));
    }
  } else {
    auto listening = ListenControlSocket(config.agent.control_socket);
    if (!listening) throw AgentStartError(listening.error().message);
    control_fd = std::move(listening->fd);
    control_lock_ = std::move(listening->lock);
  }
  ControlAccess access = ResolveControlAccess(config.agent.control_group);
  if (auto note = MissingGroupNote(access)) log_.Notice(*note);
  if (!control_passed_ && access.group) {
    // The file's group is the configured one, so its members get past the mode (0660) too.
    if (::chown(config.agent.control_socket.c_str(), static_cast<uid_t>(-1), *access.group) != 0) {
      log_.Notice(fmt::format("cannot give the control socket {} to group {}: {}", config.agent.control_socket,
                              config.agent.control_group, std::strerror(errno)));
    }
  }
  control_ = std::make_unique<ControlServer>(std::move(control_fd), std::move(access), control_api_, telemetry_, log_);

  if (config.telemetry.enabled || passed.metrics) {
    UniqueFd fd;
    if (passed.metrics) {
      metrics_passed_ = true;
      fd = std::move(passed.metrics);
    } else {
      auto listening = ListenTcp(config.telemetry.address, config.telemetry.port, kHttpListenBacklog);
      if (!listening) {
        if (!control_passed_) ::unlink(config.agent.control_socket.c_str());
        throw AgentStartError(
            fmt::format("{}; choose another port with --metrics-port (or telemetry.port), or stop the process using it",
                        listening.error().message));
      }
      fd = std::move(listening).value();
    }
    http_ = StartHttp(std::move(fd), config.telemetry);
  }
  if (!config.agent.master.empty()) {
    auto link = PrepareMasterLink(config.agent);
    if (!link) {
      if (!control_passed_) ::unlink(config.agent.control_socket.c_str());
      throw AgentStartError(link.error().message);
    }
    master_link_ = std::move(link).value();
    master_link_->Start();
  }
  {
    std::lock_guard reloading(reload_mutex_);
    started_ = true;
  }
  log_.Log(LogLevel::kNotice,
           fmt::format("slothd {} agent {} ready ({}); control socket {}; metrics {}", telemetry_.identity().version,
                       config.agent.name, loaded_from,
                       control_passed_ ? current_config()->agent.control_socket + " (passed by systemd)"
                                       : config.agent.control_socket,
                       metrics_url_.empty() ? "disabled" : metrics_url_),
           {{"SLOTH_AGENT", config.agent.name},
            {"SLOTH_CONTROL_SOCKET", current_config()->agent.control_socket},
            {"SLOTH_METRICS_URL", metrics_url_.empty() ? "-" : metrics_url_}},
           message_id::kAgentReady);
}

Agent::~Agent() { Stop(); }

std::unique_ptr<TaskStarter> Agent::ChooseStarter(const Config& config) {
  const TaskConfig& t = config.tasks;
  std::string why_not_units = "[tasks] isolation = \"process\"";
  if (t.isolation != TaskIsolation::kProcess) {
    auto units = ConnectTransientUnits(t);
    if (units) {
      units_ = std::move(units).value();
      auto starter = std::make_unique<UnitStarter>(*units_, CgroupLimitSupport(), config.agent.name);
      const std::string unenforced = UnenforcedLimits(starter->support());
      log_.Notice(
          fmt::format("tasks run as transient units sloth-task-<id>.service in sloth.slice (unit mode), as "
                      "user {} unless a request names one of [tasks] allowed_users",
                      t.user));
      if (!unenforced.empty()) {
        // Said once here, in agent info and in every result it concerns: a limit is never pretended.
        log_.Warning(fmt::format("task limits that are not enforced on this host: {}", unenforced));
      }
      return starter;
    }
    if (t.isolation == TaskIsolation::kUnit) {
      throw AgentStartError(
          fmt::format("[tasks] isolation = \"unit\", but task units cannot be started: {}; set "
                      "isolation = \"auto\" or \"process\" to run tasks as slothd's own processes",
                      units.error().message));
    }
    why_not_units = units.error().message;
  }
  auto starter = std::make_unique<ProcessStarter>(CurrentUserName());
  log_.Notice(
      fmt::format("tasks run as slothd's own processes (process mode: {}), as user {}; memory_max is their "
                  "address-space limit (RLIMIT_AS); not enforced: {}",
                  why_not_units, CurrentUserName(), UnenforcedLimits(starter->support())));
  return starter;
}

std::unique_ptr<MetricsHttpServer> Agent::StartHttp(UniqueFd fd, const TelemetryConfig& t) {
  const uint16_t port = BoundPort(fd.get());
  // The socket's own address (it may come from systemd rather than from the configuration).
  const std::string host = t.advertise_address.empty() ? ReachableAddress(BoundAddress(fd.get())) : t.advertise_address;
  {
    std::lock_guard lock(config_mutex_);
    metrics_url_ =
        fmt::format("{}://{}/metrics", web_ && web_->config.tls ? "https" : "http", FormatHostPort(host, port));
  }
  MetricsHttpServer::Pages pages;
  pages.metrics = [this](bool gzip, ExpositionFormat format) { return telemetry_.Scrape(gzip, format); };
  pages.unhealthy_reason = [this] { return UnhealthyReason(); };
  pages.info_json = [this] { return AgentInfoJson(Info()); };
  return std::make_unique<MetricsHttpServer>(
      std::move(fd),
      MetricsHttpServer::Limits{t.max_connections, t.max_connections_per_ip, t.connection_timeout, t.request_timeout,
                                t.max_header_bytes, t.threads},
      std::move(pages), log_, MetricsHttpServer::Access{web_, t.health_without_auth});
}

Result<std::unique_ptr<MasterLink>> Agent::PrepareMasterLink(const AgentConfig& a) {
  MasterLinkSettings settings;
  settings.address = a.master;
  settings.insecure = a.master_insecure;
  if (!a.master_insecure) {
    for (auto [path, key, pem] : {std::tuple{&a.master_ca, "[agent] master_ca", &settings.ca_pem},
                                  std::tuple{&a.master_cert, "[agent] master_cert", &settings.cert_pem},
                                  std::tuple{&a.master_key, "[agent] master_key", &settings.key_pem}}) {
      auto text = ReadTextFile(*path);
      if (!text) return Failure{fmt::format("cannot read {} ({}): {}", *path, key, text.error().message)};
      *pem = std::move(text).value();
    }
  }
  settings.server_name = a.master_server_name;
  settings.backoff.max = a.master_backoff_max;
  settings.labels = a.labels;
  settings.info = [this] { return Info(); };
  ControlFrontEnd* front_end = control_->EnsureFrontEnd();
  if (front_end == nullptr) return Failure{"cannot dial the master: the gRPC module did not load (see above)"};
  return front_end->DialMaster(std::move(settings));
}

std::shared_ptr<const Config> Agent::current_config() const {
  std::lock_guard lock(config_mutex_);
  return config_;
}

AgentInfo Agent::Info() const {
  std::shared_ptr<const Config> config;
  std::string metrics_url;
  {
    std::lock_guard lock(config_mutex_);
    config = config_;
    metrics_url = metrics_url_;
  }
  auto task_user = starter_->TaskUser("", config->tasks.user);
  return AgentInfo{telemetry_.identity(),
                   static_cast<int>(::getpid()),
                   telemetry_.start_time(),
                   telemetry_.UptimeSeconds(),
                   config->agent.master,
                   metrics_url,
                   config->agent.control_socket,
                   static_cast<uint32_t>(runner_.running()),
                   std::string(starter_->mode()),
                   task_user ? *task_user : config->tasks.user,
                   starter_->support()};
}

std::optional<std::string> Agent::UnhealthyReason() const {
  if (stopping_.load()) return "stopping: the agent is shutting down";
  if (auto problem = StateDirProblem(current_config()->agent.state_dir)) return problem;
  return DescriptorProblem();
}

std::string Agent::StatusLine() const {
  const size_t running = runner_.running();
  return fmt::format("agent {}: {} task{} running", telemetry_.identity().name, running, running == 1 ? "" : "s");
}

void Agent::set_on_task_change(std::function<void(const TaskResult&)> observer) {
  std::lock_guard lock(observer_mutex_);
  on_task_change_ = std::move(observer);
}

void Agent::OnTaskChange(const TaskResult& task) {
  if (dbus_) dbus_->OnTaskChange(task);
  std::function<void(const TaskResult&)> observer;
  {
    std::lock_guard lock(observer_mutex_);
    observer = on_task_change_;
  }
  if (observer) observer(task);
}

Result<std::vector<std::string>> Agent::Reload(const Config& next, const std::string& loaded_from) {
  std::lock_guard reloading(reload_mutex_);
  if (!started_) return Failure{"the agent is still starting: try again"};  // D-Bus serves before the listeners
  if (stopping_.load()) return Failure{"the agent is stopping"};
  const auto current = current_config();
  std::vector<std::string> notes;
  // Phase 1: everything that can fail. Nothing running is touched yet.
  UniqueFd new_control_fd;
  HeldLockFile new_control_lock;
  const bool control_moves = !control_passed_ && next.agent.control_socket != current->agent.control_socket;
  if (control_moves) {
    auto listening = ListenControlSocket(next.agent.control_socket);
    if (!listening) return listening.error();
    new_control_fd = std::move(listening->fd);
    new_control_lock = std::move(listening->lock);
  } else if (control_passed_ && next.agent.control_socket != current->agent.control_socket) {
    notes.push_back("agent.control_socket is ignored: the control socket is passed by systemd (slothd.socket)");
  }
  UniqueFd new_http_fd;
  const bool serving = next.telemetry.enabled || metrics_passed_;
  // Read again on every reload: a renewed certificate is swapped in without a restart.
  auto next_web = LoadWebConfigFor(next.telemetry, serving);
  if (!next_web) return Failure{next_web.error().ToString()};
  const bool access_changes =
      !SameWebConfig(*next_web, web_) || next.telemetry.health_without_auth != current->telemetry.health_without_auth;
  const bool listener_changes = !metrics_passed_ && !SameHttpSettings(next.telemetry, current->telemetry);
  const bool http_changes = listener_changes || access_changes;
  if (listener_changes && next.telemetry.enabled && !(http_ && SameListener(next.telemetry, current->telemetry))) {
    auto listening = ListenTcp(next.telemetry.address, next.telemetry.port, kHttpListenBacklog);
    if (!listening) return Failure{listening.error().message + " (telemetry.address/telemetry.port)"};
    new_http_fd = std::move(listening).value();
  }
  if (metrics_passed_ && !SameHttpSettings(next.telemetry, current->telemetry)) {
    notes.push_back("[telemetry] listener settings are ignored: the metrics socket is passed by systemd");
  }
  // A new stream to the master, checked now, started in phase 2 (after the old one unregisters).
  const bool link_changes = !SameMasterLink(next.agent, current->agent);
  std::unique_ptr<MasterLink> new_link;
  if (link_changes && !next.agent.master.empty()) {
    auto link = PrepareMasterLink(next.agent);
    if (!link) return link.error();
    new_link = std::move(link).value();
  }

  // Phase 2: switch. Nothing below can fail.
  if (link_changes) {
    if (master_link_) master_link_->Shutdown();
    master_link_ = std::move(new_link);
    if (master_link_) master_link_->Start();
  }
  const std::string old_control_path = current->agent.control_socket;
  if (control_moves) {
    control_->ReplaceListener(std::move(new_control_fd));
    ::unlink(old_control_path.c_str());
    control_lock_ = std::move(new_control_lock);
  }
  if (http_changes) {
    std::unique_ptr<MetricsHttpServer> old = std::move(http_);
    web_ = std::move(*next_web);
    if (serving) {
      // Same address and port: the old server hands its listening socket over.
      if (!new_http_fd && old) new_http_fd = old->StopAccepting();
      http_ = StartHttp(std::move(new_http_fd), next.telemetry);
    } else {
      std::lock_guard lock(config_mutex_);
      metrics_url_.clear();
    }
    if (old) old->Shutdown(kServerGrace);
  }
  if (next.agent.control_group != current->agent.control_group) {
    ControlAccess access = ResolveControlAccess(next.agent.control_group);
    if (auto note = MissingGroupNote(access)) notes.push_back(*note);
    control_->SetAccess(std::move(access));
  }
  log_.set_min_level(next.log.level);
  auto needs_restart = [&](bool changed, std::string_view what) {
    if (changed) notes.push_back(fmt::format("{} changed: takes effect at the next start", what));
  };
  needs_restart(next.agent.name != current->agent.name, "agent.name");
  needs_restart(next.agent.state_dir != current->agent.state_dir, "agent.state_dir");
  needs_restart(next.telemetry.max_label_values != current->telemetry.max_label_values, "telemetry.max_label_values");
  needs_restart(next.telemetry.max_task_series != current->telemetry.max_task_series, "telemetry.max_task_series");
  needs_restart(!(next.tasks == current->tasks), "[tasks]");
  needs_restart(!(next.workflows == current->workflows), "[workflows]");
  Config applied = next;
  // What could not change now stays as it runs, so /info and the next reload see the truth.
  applied.agent.name = current->agent.name;
  applied.agent.state_dir = current->agent.state_dir;
  applied.telemetry.max_label_values = current->telemetry.max_label_values;
  applied.telemetry.max_task_series = current->telemetry.max_task_series;
  applied.tasks = current->tasks;
  applied.workflows = current->workflows;
  if (control_passed_) applied.agent.control_socket = current->agent.control_socket;
  {
    std::lock_guard lock(config_mutex_);
    config_ = std::make_shared<const Config>(std::move(applied));
  }
  log_.Log(LogLevel::kNotice, fmt::format("configuration reloaded from {}", loaded_from), {}, message_id::kReloaded);
  return notes;
}

Result<ReloadReport> Agent::ReloadConfiguration() {
  notifier_.Reloading("reloading configuration");
  ReloadReport report;
  auto loaded = config_source_(&report.loaded_from);
  Result<std::vector<std::string>> applied = std::vector<std::string>{};
  if (auto* config_error = std::get_if<ConfigError>(&loaded)) {
    applied = Failure{config_error->ToString()};
  } else {
    applied = Reload(std::get<Config>(loaded), report.loaded_from);
  }
  notifier_.Ready(StatusLine());
  if (!applied) {
    RecordError("config");
    log_.Log(LogLevel::kError,
             fmt::format("reload failed, the running configuration stays: {}", applied.error().message), {},
             message_id::kReloadFailed);
    return applied.error();
  }
  report.notes = std::move(applied).value();
  for (const auto& note : report.notes) log_.Warning(fmt::format("reload: {}", note));
  return report;
}

void Agent::Stop() {
  {
    // A reload in progress finishes first; later ones are refused.
    std::lock_guard reloading(reload_mutex_);
    if (stopping_.exchange(true)) return;
  }
  auto config = current_config();
  control_->StopAccepting();
  const bool drain_tasks = config->tasks.on_stop == TaskStopPolicy::kDrain;
  // Workflow runs start nothing more and skip what had not started; their running tasks end as
  // ad-hoc tasks do (cancelled, or drained first).
  workflows_.Stop("the agent is stopping", !drain_tasks);
  if (!runner_.Shutdown(drain_tasks ? config->tasks.drain_timeout : Duration::zero())) {
    log_.Warning("some tasks had not finished when the stop grace ran out");
  }
  workflows_.Drain();  // each run records its end
  // After the tasks, so relayed ones still report their ends; then the agent unregisters.
  if (master_link_) master_link_->Shutdown();
  // After the tasks, so their TaskFinished signals still go out.
  if (dbus_) dbus_->Shutdown();
  control_->Shutdown(kServerGrace);
  if (!control_passed_) ::unlink(config->agent.control_socket.c_str());
  if (http_) http_->Shutdown(kServerGrace);
}

}  // namespace sloth
