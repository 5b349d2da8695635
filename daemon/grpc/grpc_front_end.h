#pragma once
// The seam between slothd and its gRPC front end, which lives in a module (slothd-grpc.so) that
// slothd loads on the first control connection. Linking gRPC into slothd itself costs ≈9 MiB of
// resident memory at start (its relocations and symbol tables alone), whether or not anyone
// ever calls; as a module it costs nothing until used. No gRPC type crosses this header.
#include <functional>
#include <optional>
#include <string_view>

#include "common/duration.h"
#include "common/log.h"
#include "daemon/core/control_api.h"
#include "daemon/core/telemetry/telemetry.h"
#include "daemon/grpc/control_socket.h"

namespace sloth {

class ControlFrontEnd {
 public:
  virtual ~ControlFrontEnd() = default;
  // Serves sloth.v1.Agent on an accepted connection; takes ownership of `fd`.
  virtual void Serve(int fd) = 0;
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
