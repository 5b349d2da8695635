#pragma once
// What every call of the master's gRPC server shares: the services, the completion queue, the
// registry and policy, and the live agent streams by name. The calls (agent_session.h,
// relayed_call.h, operator_calls.h) run on the one completion-queue thread, so the `sessions`
// map needs no lock; the registry, access policy and telemetry are thread-safe on their own.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include "common/log.h"
#include "daemon/core/fleet/fleet_registry.h"
#include "daemon/core/fleet/master_access.h"
#include "daemon/core/fleet/master_telemetry.h"
#include "sloth/v1/master.grpc.pb.h"

namespace sloth {

class AgentSession;

struct MasterQueue {
  v1::Master::AsyncService service;
  grpc::AsyncGenericService generic;  // sloth.v1.Agent's methods, relayed by name
  std::unique_ptr<grpc::ServerCompletionQueue> cq;
  FleetRegistry* registry = nullptr;
  const MasterAccess* access = nullptr;
  MasterTelemetry* telemetry = nullptr;
  Logger* log = nullptr;
  std::string version;
  std::function<WallTime()> now;  // the clock the registry's decisions are made with

  // Completion-queue thread only.
  std::map<std::string, AgentSession*, std::less<>> sessions;  // registered streams, by agent name
  uint64_t next_call_id = 1;
  bool shutting_down = false;
};

// The metadata key naming the agent a relayed sloth.v1.Agent call is for.
inline constexpr const char* kAgentMetadataKey = "sloth-agent";

// Bytes of a streaming call's replies the agent may send ahead of the operator's reading (see
// RelayCredit in master.proto): enough for output at full speed, small enough that a slow
// operator holds the task back, as a slow client of the control socket does.
inline constexpr uint64_t kRelayWindowBytes = 256 * 1024;

}  // namespace sloth
