#include "daemon/core/fleet/master_telemetry.h"

#include "common/metric_names.h"
#include "daemon/core/telemetry/catalog.h"
#include "daemon/core/telemetry/exposition_writer.h"
#include "daemon/core/telemetry/openmetrics_writer.h"

namespace sloth {
namespace {

// Relayed method names come from operators' calls: bounded like any user-controlled label.
constexpr size_t kMaxMethods = 64;
constexpr std::string_view kAuthReasons[] = {"tls_handshake", "no_credentials", "no_certificate",
                                             "bad_token",     "not_operator",   "identity_mismatch"};

template <typename Metric>
prometheus::Family<Metric>& Family(std::string_view name, std::string_view help, prometheus::Registry& registry) {
  return prometheus::detail::Builder<Metric>().Name(std::string(name)).Help(std::string(help)).Register(registry);
}

}  // namespace

MasterTelemetry::MasterTelemetry(const AgentIdentity& identity)
    : registry_(std::make_shared<prometheus::Registry>()),
      methods_(kMaxMethods),
      agents_(Family<prometheus::Gauge>(metric_names::kMasterAgents,
                                        "Agents in the registry, by status (up, down, gone).", *registry_)),
      registrations_(Family<prometheus::Counter>(metric_names::kMasterRegistrations,
                                                 "Agent registrations accepted (each connection registers once).",
                                                 *registry_)
                         .Add({})),
      heartbeats_(Family<prometheus::Counter>(metric_names::kMasterHeartbeats, "Agent heartbeats received.", *registry_)
                      .Add({})),
      relayed_(Family<prometheus::Counter>(metric_names::kMasterRelayedCalls,
                                           "sloth.v1.Agent calls relayed to agents, by method and gRPC code.",
                                           *registry_)),
      calls_(Family<prometheus::Counter>(metric_names::kMasterCalls,
                                         "Operators' calls, by the caller's identity and method.", *registry_)),
      auth_failures_(Family<prometheus::Counter>(metric_names::kMasterAuthFailures,
                                                 "Connections and calls refused for their credentials, by reason.",
                                                 *registry_)) {
  for (auto status : {AgentStatus::kUp, AgentStatus::kDown, AgentStatus::kGone}) {
    agents_.Add({{"status", std::string(AgentStatusName(status))}});
  }
  for (auto reason : kAuthReasons) auth_failures_.Add({{"reason", std::string(reason)}});
  Family<prometheus::Gauge>(catalog::kBuildInfo.name, catalog::kBuildInfo.help, *registry_)
      .Add({{"version", identity.version}, {"commit", identity.commit}, {"compiler", identity.compiler}})
      .Set(1);
}

void MasterTelemetry::AgentRegistered() { registrations_.Increment(); }

void MasterTelemetry::HeartbeatReceived() { heartbeats_.Increment(); }

void MasterTelemetry::CallRelayed(std::string_view method, std::string_view code) {
  relayed_.Add({{"method", methods_.Admit(method)}, {"code", std::string(code)}}).Increment();
}

void MasterTelemetry::OperatorCalled(std::string_view caller, std::string_view method) {
  // Callers are bounded by configuration: listed certificates and tokens (an unknown one is refused).
  calls_.Add({{"caller", std::string(caller)}, {"method", methods_.Admit(method)}}).Increment();
}

void MasterTelemetry::AuthFailed(std::string_view reason) {
  auth_failures_.Add({{"reason", std::string(reason)}}).Increment();
}

std::string MasterTelemetry::ExpositionText(const std::map<AgentStatus, size_t>& agents, ExpositionFormat format) {
  const bool openmetrics = format == ExpositionFormat::kOpenMetrics;
  std::string out;
  out.reserve(4096);
  {
    std::lock_guard lock(agents_mutex_);
    for (const auto& [status, count] : agents) {
      agents_.Add({{"status", std::string(AgentStatusName(status))}}).Set(static_cast<double>(count));
    }
    if (openmetrics) {
      for (const auto& family : registry_->Collect()) WriteOpenMetricsFamily(family, nullptr, &out);
    } else {
      WriteExposition(registry_->Collect(), &out);
    }
  }
  // Without /proc the process_* families are left out, not faked.
  if (const auto stats = process_reader_.Read()) WriteProcessFamilies(*stats, &out, format);
  if (openmetrics) AppendOpenMetricsEnd(&out);
  return out;
}

}  // namespace sloth
