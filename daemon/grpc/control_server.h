#pragma once
// The gRPC server of the control plane. It has no listening port of its own: connections come
// from the ControlSocketAcceptor (ours or, later, a socket adopted from systemd).
// Threads: constructed and shut down by the main thread; gRPC runs the handlers.
#include <grpcpp/server.h>

#include <memory>
#include <mutex>
#include <vector>

#include "common/duration.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "daemon/core/control_api.h"
#include "daemon/grpc/control_service.h"
#include "daemon/grpc/control_socket.h"

namespace sloth {

class ControlServer {
 public:
  ControlServer(UniqueFd listen_fd, ControlApi& api, Telemetry& telemetry, Logger& log);
  ~ControlServer();

  // Stops accepting new connections (calls on open ones continue).
  void StopAccepting();
  // Accepts on `listen_fd` from now on instead of the current socket; open connections stay.
  void ReplaceListener(UniqueFd listen_fd);
  // Ends every call, waiting up to `grace` for running handlers.
  void Shutdown(Duration grace);

 private:
  Logger& log_;
  std::unique_ptr<ControlService> service_;
  std::unique_ptr<grpc::Server> server_;
  // The current acceptor is the last; earlier ones (replaced on reload) are stopped but kept,
  // since connections they accepted may still be calling.
  mutable std::mutex acceptors_mutex_;
  std::vector<std::unique_ptr<ControlSocketAcceptor>> acceptors_;
};

}  // namespace sloth
