#pragma once
// The seam between slothd and its gRPC front end, which lives in a module (slothd-grpc.so) that
// slothd loads on the first control connection. Linking gRPC into slothd itself costs ≈9 MiB of
// resident memory at start (its relocations and symbol tables alone), whether or not anyone
// ever calls; as a module it costs nothing until used. No gRPC type crosses this header.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/duration.h"
#include "common/log.h"
#include "common/result.h"
#include "daemon/core/control_api.h"
#include "daemon/core/fleet/reconnect_backoff.h"
#include "daemon/core/telemetry/telemetry.h"
#include "daemon/grpc/control_socket.h"

namespace sloth {

// How an agent started with --master dials it (doc/fleet.md), the files already read.
struct MasterLinkSettings {
  std::string address;  // host:port
  bool insecure = false;
  std::string ca_pem, cert_pem, key_pem;
  std::string server_name;  // the name the master's certificate must carry; empty: the host of `address`
  ReconnectBackoff backoff;
  std::map<std::string, std::string> labels;
  std::function<AgentInfo()> info;  // what the agent reports when it registers, and in heartbeats
};

// The agent's one stream to its master, kept open (dialled again with backoff when lost); the
// master's relayed calls are served on it through the same dispatch as the control socket.
class MasterLink {
 public:
  virtual ~MasterLink() = default;
  // Starts dialling (once).
  virtual void Start() = 0;
  // Unregisters (the master lists the agent as gone, not down) and closes the stream; calls
  // relayed on it end. Idempotent.
  virtual void Shutdown() = 0;
};

class ControlFrontEnd {
 public:
  virtual ~ControlFrontEnd() = default;
  // Serves sloth.v1.Agent on an accepted connection; takes ownership of `fd`.
  virtual void Serve(int fd) = 0;
  // The link to the master, not dialling yet (MasterLink::Start); fails when the TLS files are
  // not usable. Shut the link down before this front end.
  virtual Result<std::unique_ptr<MasterLink>> DialMaster(MasterLinkSettings settings) = 0;
  // Ends every call, waiting up to `grace` for running handlers.
  virtual void Shutdown(Duration grace) = 0;
};

using CredentialsLookup = std::function<std::optional<PeerCredentials>(std::string_view grpc_peer)>;

// The module's entry point (extern "C", looked up with dlsym). Returns nullptr on failure.
using CreateControlFrontEndFn = ControlFrontEnd* (*)(ControlApi* api, Telemetry* telemetry, Logger* log,
                                                     CredentialsLookup credentials);
inline constexpr const char* kCreateControlFrontEndSymbol = "sloth_create_grpc_front_end";
inline constexpr const char* kGrpcModuleFileName = "slothd-grpc.so";

}  // namespace sloth
