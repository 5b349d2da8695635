#pragma once
// The control plane's socket side: accepts connections (ours or a socket adopted from systemd),
// records their peer credentials, and hands them to the gRPC front end, which is loaded from
// its module (slothd-grpc.so) on the first connection — see grpc_front_end.h for why.
// Threads: constructed, reloaded and shut down by the main thread; acceptors run their own.
#include <memory>
#include <mutex>
#include <vector>

#include "common/duration.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "daemon/core/control_api.h"
#include "daemon/grpc/control_socket.h"
#include "daemon/grpc/grpc_front_end.h"

namespace sloth {

class ControlServer {
 public:
  // Connections `access` refuses are told why and closed, and counted in sloth_errors_total
  // {type="control_refused"}.
  ControlServer(UniqueFd listen_fd, ControlAccess access, ControlApi& api, Telemetry& telemetry, Logger& log);
  ~ControlServer();

  // Stops accepting new connections (calls on open ones continue).
  void StopAccepting();
  // Accepts on `listen_fd` from now on instead of the current socket; open connections stay.
  void ReplaceListener(UniqueFd listen_fd);
  // Applies to connections accepted from now on (reload).
  void SetAccess(ControlAccess access);
  // Ends every call, waiting up to `grace` for running handlers.
  void Shutdown(Duration grace);
  // The front end, loaded now if no connection has loaded it yet (an agent with a master needs
  // it at start); nullptr if it cannot load. Any thread.
  ControlFrontEnd* EnsureFrontEnd();

 private:
  std::optional<PeerCredentials> CredentialsOf(std::string_view grpc_peer) const;

  ControlApi& api_;
  Telemetry& telemetry_;
  Logger& log_;
  std::mutex front_end_mutex_;
  bool shut_down_ = false;
  std::unique_ptr<ControlFrontEnd> front_end_;
  // The current acceptor is the last; earlier ones (replaced on reload) are stopped but kept,
  // since connections they accepted may still be calling.
  mutable std::mutex acceptors_mutex_;
  ControlAccess access_;  // guarded by acceptors_mutex_
  std::vector<std::unique_ptr<ControlSocketAcceptor>> acceptors_;
};

}  // namespace sloth
