// The master's module (slothd-master.so): sloth.v1.Master over mutual TLS, the registry with its
// SQLite store, the relay of sloth.v1.Agent calls to agents' streams, and the sweeper that
// notices agents going quiet. Built as a MODULE; takes Logger and the core's helpers from the
// slothd executable.
//
// Threads: one completion-queue thread (`slothd-master`) runs every stream and call (agent
// sessions, relays, operator calls) so they share the live-session map without locks; the
// sweeper (`slothd-sweep`) decides statuses once a second and persists heartbeats; the HTTP
// server's threads read the registry for /sd and /metrics. gRPC's own threads do the TLS.
#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/message_ids.h"
#include "daemon/core/agent_info.h"
#include "daemon/core/fleet/service_discovery.h"
#include "daemon/core/fleet/tls_material.h"
#include "daemon/master/agent_session.h"
#include "daemon/master/master_front_end.h"
#include "daemon/master/operator_calls.h"
#include "daemon/master/relayed_call.h"
#include "daemon/master/sqlite_registry_store.h"
#include "proto/grpc_tuning.h"

namespace sloth {
namespace {

// How often heartbeats reach the store: they are the frequent write, and a restarted master only
// needs to know roughly when each agent was last heard from.
constexpr int kSweepsPerPersist = 10;  // sweeps are a second apart

// gRPC reports a refused TLS handshake (no certificate where one is required, one signed by
// another CA) only through its log, before any call exists. Its log function takes no context,
// hence these two: set while the master runs, read by gRPC's threads.
std::atomic<Logger*> grpc_log_target{nullptr};
std::atomic<MasterTelemetry*> grpc_log_telemetry{nullptr};

void RouteGrpcLog(gpr_log_func_args* args) {
  Logger* log = grpc_log_target.load();
  const std::string_view message(args->message);
  if (message.starts_with("Handshake failed")) {
    if (MasterTelemetry* telemetry = grpc_log_telemetry.load()) telemetry->AuthFailed("tls_handshake");
    if (log != nullptr) {
      log->Log(LogLevel::kWarning, fmt::format("refused a TLS connection: {}", message),
               {{"SLOTH_REASON", "tls_handshake"}}, message_id::kAccessRefused);
    }
    return;
  }
  if (log == nullptr) return;
  const LogLevel level = args->severity == GPR_LOG_SEVERITY_ERROR ? LogLevel::kWarning : LogLevel::kDebug;
  log->Log(level, fmt::format("gRPC: {} ({}:{})", message, args->file, args->line));
}

std::string ReadableStatuses(const std::map<AgentStatus, size_t>& counts) {
  return fmt::format("{} up, {} down, {} gone", counts.at(AgentStatus::kUp), counts.at(AgentStatus::kDown),
                     counts.at(AgentStatus::kGone));
}

class MasterServer final : public MasterFrontEnd {
 public:
  MasterServer(const MasterSettings& settings, Logger& log, std::unique_ptr<SqliteRegistryStore> store,
               TokenTable tokens)
      : settings_(settings),
        log_(log),
        store_(std::move(store)),
        registry_(*store_, settings.timing, log),
        access_({settings.operators.begin(), settings.operators.end()}, std::move(tokens), settings.insecure),
        telemetry_(settings.identity),
        start_time_(std::chrono::system_clock::now()) {}

  Result<void> Start() {
    if (auto loaded = registry_.Load(); !loaded) return loaded.error();
    queue_.registry = &registry_;
    queue_.access = &access_;
    queue_.telemetry = &telemetry_;
    queue_.log = &log_;
    queue_.version = settings_.identity.version;
    queue_.now = [] { return std::chrono::system_clock::now(); };

    std::shared_ptr<grpc::ServerCredentials> credentials;
    if (settings_.insecure) {
      credentials = grpc::InsecureServerCredentials();
    } else {
      // A certificate is asked of every client and verified when sent: agents must send one (their
      // name is in it); operators may use a bearer token instead.
      grpc::SslServerCredentialsOptions options(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
      options.pem_root_certs = settings_.client_ca_pem;
      options.pem_key_cert_pairs.push_back({settings_.key_pem, settings_.cert_pem});
      credentials = grpc::SslServerCredentials(options);
    }
    grpc::ServerBuilder builder;
    const std::string listen = settings_.address.find(':') != std::string::npos
                                   ? fmt::format("[{}]:{}", settings_.address, settings_.port)
                                   : fmt::format("{}:{}", settings_.address, settings_.port);
    builder.AddListeningPort(listen, credentials, &port_);
    builder.RegisterService(&queue_.service);
    builder.RegisterAsyncGenericService(&queue_.generic);
    // Dead agents' connections (a host switched off) are found by pings, not only by the
    // missing heartbeats: 60 s idle, 20 s to answer. Agents may ping every 10 s themselves.
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
    // TLS records of at most 4 KiB: the frame protector's buffer is per connection, and an
    // agent's stream is mostly heartbeats. 1,000 agents (tests/bench/fleet_bench.sh): 112.7 KiB
    // of RSS per agent with the default 16 KiB, 107.6 KiB with 4 KiB.
    builder.AddChannelArgument(GRPC_ARG_TSI_MAX_FRAME_SIZE, 4096);
    queue_.cq = builder.AddCompletionQueue();
    server_ = builder.BuildAndStart();
    if (!server_ || port_ == 0) {
      return Failure{
          fmt::format("cannot listen on {}: the address is in use or not this host's; choose another "
                      "with [master] address and port",
                      listen)};
    }
    AgentSession::Listen(queue_);
    RelayedCall::Listen(queue_);
    ListenForOperatorCalls(queue_);
    cq_thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "slothd-master");
      void* tag = nullptr;
      bool ok = false;
      while (queue_.cq->Next(&tag, &ok)) {
        const Tag* t = static_cast<const Tag*>(tag);
        t->call->Proceed(t->op, ok);
      }
    });
    sweeper_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "slothd-sweep");
      Sweep();
    });
    return {};
  }

  ~MasterServer() override { Shutdown(Duration::zero()); }

  uint16_t port() const override { return static_cast<uint16_t>(port_); }
  MasterTelemetry& telemetry() { return telemetry_; }

  std::string ServiceDiscoveryJson() override {
    return sloth::ServiceDiscoveryJson(registry_.List(std::chrono::system_clock::now()));
  }

  std::string MetricsText(ExpositionFormat format) override {
    return telemetry_.ExpositionText(registry_.CountByStatus(std::chrono::system_clock::now()), format);
  }

  std::string InfoJson() override {
    const auto now = std::chrono::system_clock::now();
    const auto counts = registry_.CountByStatus(now);
    nlohmann::json info = {
        {"role", "master"},
        {"name", settings_.identity.name},
        {"version", settings_.identity.version},
        {"commit", settings_.identity.commit},
        {"pid", ::getpid()},
        {"start_time", FormatRfc3339(start_time_)},
        {"uptime_seconds", std::chrono::duration<double>(now - start_time_).count()},
        {"port", port()},
        {"insecure", settings_.insecure},
        {"agents",
         {{"up", counts.at(AgentStatus::kUp)},
          {"down", counts.at(AgentStatus::kDown)},
          {"gone", counts.at(AgentStatus::kGone)}}},
    };
    return info.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }

  std::string StatusLine() override {
    return "master: " + ReadableStatuses(registry_.CountByStatus(std::chrono::system_clock::now()));
  }

  void Shutdown(Duration grace) override {
    {
      std::lock_guard lock(sweep_mutex_);
      if (stopped_) return;
      stopped_ = true;
    }
    sweep_wake_.notify_all();
    if (sweeper_.joinable()) sweeper_.join();
    if (server_) {
      // Ends every stream and call: agents see the master go and dial again; operators' calls
      // end with UNAVAILABLE.
      server_->Shutdown(std::chrono::system_clock::now() +
                        std::chrono::duration_cast<std::chrono::system_clock::duration>(grace));
      queue_.cq->Shutdown();
      if (cq_thread_.joinable()) cq_thread_.join();
      server_.reset();
    }
    registry_.PersistHeartbeats();
    grpc_log_telemetry.store(nullptr);
    grpc_log_target.store(nullptr);
  }

 private:
  void Sweep() {
    std::unique_lock lock(sweep_mutex_);
    for (int round = 1; !stopped_; ++round) {
      sweep_wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopped_; });
      if (stopped_) break;
      const auto now = std::chrono::system_clock::now();
      for (const auto& change : registry_.Sweep(now)) LogTransition(change, now);
      if (round % kSweepsPerPersist == 0) registry_.PersistHeartbeats();
    }
  }

  void LogTransition(const FleetRegistry::Transition& change, WallTime now) {
    const auto silent = std::chrono::duration_cast<std::chrono::seconds>(now - change.last_heartbeat).count();
    std::string message;
    LogLevel level = LogLevel::kNotice;
    switch (change.to) {
      case AgentStatus::kUp: message = fmt::format("agent {} is up", change.name); break;
      case AgentStatus::kGone: message = fmt::format("agent {} is gone: it unregistered", change.name); break;
      case AgentStatus::kDown:
        level = LogLevel::kWarning;
        message = change.connected ? fmt::format("agent {} is down: no heartbeat for {}s", change.name, silent)
                                   : fmt::format("agent {} is down: its stream ended {}s after its last heartbeat",
                                                 change.name, silent);
        break;
    }
    log_.Log(level, message,
             {{"SLOTH_AGENT", change.name},
              {"SLOTH_STATUS", std::string(AgentStatusName(change.to))},
              {"SLOTH_PREVIOUS_STATUS", std::string(AgentStatusName(change.from))}},
             message_id::kAgentStatusChanged);
  }

  const MasterSettings settings_;
  Logger& log_;
  std::unique_ptr<SqliteRegistryStore> store_;
  FleetRegistry registry_;
  MasterAccess access_;
  MasterTelemetry telemetry_;
  const WallTime start_time_;
  MasterQueue queue_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::thread cq_thread_;
  std::mutex sweep_mutex_;
  std::condition_variable sweep_wake_;
  bool stopped_ = false;  // guarded by sweep_mutex_
  std::thread sweeper_;
};

Result<std::unique_ptr<MasterFrontEnd>> CreateMaster(const MasterSettings& settings, Logger& log) {
  if (!settings.insecure) {
    if (auto checked = CheckKeyPair(settings.cert_pem, settings.key_pem, "[master] cert and key"); !checked) {
      return checked.error();
    }
    if (auto checked = CheckCertificates(settings.client_ca_pem, "[master] client_ca"); !checked) {
      return checked.error();
    }
  }
  auto tokens = TokenTable::Parse(settings.tokens_text, settings.tokens_source);
  if (!tokens) return tokens.error();
  auto store = SqliteRegistryStore::Open(settings.registry_path);
  if (!store) return store.error();
  TurnOffMutexDebugging();
  grpc_log_target.store(&log);
  gpr_set_log_function(RouteGrpcLog);
  auto server = std::make_unique<MasterServer>(settings, log, std::move(store).value(), std::move(tokens).value());
  grpc_log_telemetry.store(&server->telemetry());
  if (auto started = server->Start(); !started) {
    grpc_log_telemetry.store(nullptr);
    return started.error();
  }
  return std::unique_ptr<MasterFrontEnd>(std::move(server));
}

}  // namespace
}  // namespace sloth

extern "C" __attribute__((visibility("default"))) sloth::Result<std::unique_ptr<sloth::MasterFrontEnd>>
sloth_create_master_front_end(const sloth::MasterSettings* settings, sloth::Logger* log) {
  // Exceptions do not cross the module boundary: they become the failure's text.
  try {
    return sloth::CreateMaster(*settings, *log);
  } catch (const std::exception& e) {
    return sloth::Failure{e.what()};
  }
}
