#include "daemon/master_role.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/message_ids.h"
#include "daemon/core/telemetry/gzip.h"
#include "daemon/http/web_config_files.h"
#include "daemon/modules/module_loader.h"
#include "daemon/net/tcp_listen.h"

namespace sloth {
namespace {

constexpr auto kServerGrace = std::chrono::milliseconds(800);

// A file the master needs at start, or an AgentStartError naming the key that points at it.
std::string ReadFileOrThrow(const std::string& path, std::string_view key) {
  std::ifstream file(path);
  if (!file) {
    throw AgentStartError(fmt::format("cannot read {} ({}): {}", path, key, std::strerror(errno)));
  }
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

Master::Master(const Config& config, const std::string& loaded_from, Logger& log, Agent::ConfigSource source)
    : log_(log), config_source_(std::move(source)), config_(config), state_dir_(config.master.state_dir) {
  const MasterConfig& m = config.master;
  std::error_code ec;
  std::filesystem::create_directories(m.state_dir, ec);
  if (ec) {
    throw AgentStartError(fmt::format("cannot create the master's state directory {} ([master] state_dir): {}",
                                      m.state_dir, ec.message()));
  }
  MasterSettings settings;
  settings.address = m.address;
  settings.port = m.port;
  settings.insecure = m.insecure;
  if (!m.insecure) {
    settings.cert_pem = ReadFileOrThrow(m.cert, "[master] cert");
    settings.key_pem = ReadFileOrThrow(m.key, "[master] key");
    settings.client_ca_pem = ReadFileOrThrow(m.client_ca, "[master] client_ca");
  }
  settings.operators = m.operators;
  if (!m.tokens_file.empty()) settings.tokens_text = ReadFileOrThrow(m.tokens_file, "[master] tokens_file");
  settings.tokens_source = m.tokens_file;
  settings.registry_path = m.state_dir + "/registry.sqlite";
  settings.timing = FleetTiming{m.heartbeat_interval, m.missed_heartbeats};
  settings.identity = CurrentBuildIdentity(config.agent.name);

  auto symbol = LoadModuleSymbol(kMasterModuleFileName, kCreateMasterFrontEndSymbol);
  if (!symbol) throw AgentStartError(symbol.error().message);
  auto created = reinterpret_cast<CreateMasterFrontEndFn>(*symbol)(&settings, &log_);
  if (!created) throw AgentStartError(created.error().message);
  front_end_ = std::move(created).value();

  std::string metrics_url = "disabled";
  if (config.telemetry.enabled) {
    // TLS and basic auth on /metrics and /sd, as an agent's endpoint has them.
    std::shared_ptr<const LoadedWebConfig> web;
    if (!config.telemetry.web_config.empty()) {
      auto loaded = LoadWebConfig(config.telemetry.web_config);
      if (!loaded) throw AgentConfigError(loaded.error().ToString());
      web = std::move(loaded).value();
    }
    auto listening = ListenTcp(config.telemetry.address, config.telemetry.port, 128);
    if (!listening) {
      front_end_->Shutdown(Duration::zero());
      throw AgentStartError(
          fmt::format("{}; choose another port with [telemetry] port in {}", listening.error().message, loaded_from));
    }
    const int fd = listening->get();
    const std::string host = config.telemetry.advertise_address.empty() ? ReachableAddress(BoundAddress(fd))
                                                                        : config.telemetry.advertise_address;
    metrics_url =
        fmt::format("{}://{}/metrics", web && web->config.tls ? "https" : "http", FormatHostPort(host, BoundPort(fd)));
    MetricsHttpServer::Pages pages;
    pages.metrics = [this](bool gzip, ExpositionFormat format) {
      std::string text = front_end_->MetricsText(format);
      return MetricsBody{std::make_shared<const std::string>(gzip ? GzipCompress(text) : std::move(text)), ""};
    };
    pages.unhealthy_reason = [this]() -> std::optional<std::string> {
      if (stopping_.load()) return "stopping: the master is shutting down";
      if (::access(state_dir_.c_str(), W_OK) != 0) {
        return fmt::format("state directory {} is not writable: {}", state_dir_, std::strerror(errno));
      }
      return std::nullopt;
    };
    pages.info_json = [this] { return front_end_->InfoJson(); };
    pages.service_discovery_json = [this] { return front_end_->ServiceDiscoveryJson(); };
    const TelemetryConfig& t = config.telemetry;
    http_ = std::make_unique<MetricsHttpServer>(
        std::move(listening).value(),
        MetricsHttpServer::Limits{t.max_connections, t.max_connections_per_ip, t.connection_timeout, t.request_timeout,
                                  t.max_header_bytes, t.threads},
        std::move(pages), log_, MetricsHttpServer::Access{web, t.health_without_auth});
  }
  const std::string address = FormatHostPort(m.address, front_end_->port());
  log_.Log(LogLevel::kNotice,
           fmt::format("slothd {} master ready ({}); agents and operators on {} ({}); metrics and /sd {}",
                       settings.identity.version, loaded_from, address,
                       m.insecure ? "INSECURE: no TLS, no authentication" : "mutual TLS", metrics_url),
           {{"SLOTH_MASTER_ADDRESS", address}, {"SLOTH_METRICS_URL", metrics_url}}, message_id::kMasterReady);
  if (m.insecure) {
    log_.Warning("[master] insecure = true: anyone who reaches " + address +
                 " can register agents and run commands on them");
  }
}

Master::~Master() { Stop(); }

std::string Master::StatusLine() const { return front_end_->StatusLine(); }

Result<ReloadReport> Master::ReloadConfiguration() {
  ReloadReport report;
  auto loaded = config_source_(&report.loaded_from);
  if (auto* error = std::get_if<ConfigError>(&loaded)) {
    log_.Log(LogLevel::kError, "reload failed, the running configuration stays: " + error->ToString(), {},
             message_id::kReloadFailed);
    return Failure{error->ToString()};
  }
  const Config& next = std::get<Config>(loaded);
  log_.set_min_level(next.log.level);
  Config unchanged_log = next;
  unchanged_log.log = config_.log;
  if (FormatConfig(unchanged_log) != FormatConfig(config_)) {
    report.notes.push_back("[master] and [telemetry] changes take effect at the next start");
  }
  config_.log = next.log;
  for (const auto& note : report.notes) log_.Warning("reload: " + note);
  log_.Log(LogLevel::kNotice, fmt::format("configuration reloaded from {}", report.loaded_from), {},
           message_id::kReloaded);
  return report;
}

void Master::Stop() {
  if (stopping_.exchange(true)) return;
  if (http_) http_->Shutdown(kServerGrace);
  if (front_end_) front_end_->Shutdown(kServerGrace);
}

}  // namespace sloth
