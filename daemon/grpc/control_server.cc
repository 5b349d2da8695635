#include "daemon/grpc/control_server.h"

#include <grpcpp/server_builder.h>
#include <grpcpp/server_posix.h>

#include <stdexcept>

#include "daemon/grpc/metrics_interceptor.h"

namespace sloth {

ControlServer::ControlServer(UniqueFd listen_fd, ControlApi& api, Telemetry& telemetry, Logger& log) : log_(log) {
  // The acceptor is created after the server, but the service needs its credential lookup:
  // resolve through this object, which outlives both.
  service_ = std::make_unique<ControlService>(api, [this](std::string_view peer) -> std::optional<PeerCredentials> {
    std::lock_guard lock(acceptors_mutex_);
    for (auto it = acceptors_.rbegin(); it != acceptors_.rend(); ++it) {
      if (auto cred = (*it)->CredentialsOf(peer)) return cred;
    }
    return std::nullopt;
  });
  grpc::ServerBuilder builder;
  builder.RegisterService(service_.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<MetricsInterceptorFactory>(telemetry));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (!server_) throw std::runtime_error("cannot start the gRPC control server");
  ReplaceListener(std::move(listen_fd));
}

ControlServer::~ControlServer() { Shutdown(Duration::zero()); }

void ControlServer::StopAccepting() {
  std::lock_guard lock(acceptors_mutex_);
  if (!acceptors_.empty()) acceptors_.back()->Stop();
}

void ControlServer::ReplaceListener(UniqueFd listen_fd) {
  auto next = std::make_unique<ControlSocketAcceptor>(
      std::move(listen_fd), [this](int fd) { grpc::AddInsecureChannelFromFd(server_.get(), fd); }, log_);
  std::lock_guard lock(acceptors_mutex_);
  if (!acceptors_.empty()) acceptors_.back()->Stop();
  acceptors_.push_back(std::move(next));
}

void ControlServer::Shutdown(Duration grace) {
  StopAccepting();
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(grace));
  server_->Wait();
  server_.reset();
}

}  // namespace sloth
