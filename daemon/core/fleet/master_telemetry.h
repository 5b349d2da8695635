#pragma once
// The master's own metrics (doc/fleet.md, "Metrics"): agents by status, registrations,
// heartbeats, relayed calls, operators' calls by caller, refused credentials; with the standard
// process_* families and sloth_build_info. Served at the master's GET /metrics.
// Thread-safe.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "daemon/core/fleet/agent_record.h"
#include "daemon/core/telemetry/label_limiter.h"
#include "daemon/core/telemetry/process_stats.h"
#include "daemon/core/telemetry/telemetry.h"

namespace sloth {

class MasterTelemetry {
 public:
  explicit MasterTelemetry(const AgentIdentity& identity);

  void AgentRegistered();
  void HeartbeatReceived();
  // A sloth.v1.Agent call relayed to an agent ("RunTask"), and the gRPC code it ended with ("OK").
  void CallRelayed(std::string_view method, std::string_view code);
  // An operator's call of any kind, by who made it ("cert:alice", "token:ci").
  void OperatorCalled(std::string_view caller, std::string_view method);
  // Credentials refused: tls_handshake, no_credentials, no_certificate, bad_token, not_operator,
  // identity_mismatch.
  void AuthFailed(std::string_view reason);

  // The exposition, with sloth_master_agents{status} from `agents` (counted at the call), in
  // `format` (OpenMetrics for a scraper that asks for it, as an agent's /metrics answers).
  std::string ExpositionText(const std::map<AgentStatus, size_t>& agents,
                             ExpositionFormat format = ExpositionFormat::kText004);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  ProcessStatsReader process_reader_;
  LabelValueLimiter methods_;
  std::mutex agents_mutex_;  // one scrape sets the gauges at a time
  prometheus::Family<prometheus::Gauge>& agents_;
  prometheus::Counter& registrations_;
  prometheus::Counter& heartbeats_;
  prometheus::Family<prometheus::Counter>& relayed_;
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Counter>& auth_failures_;
};

}  // namespace sloth
