#include "daemon/grpc/control_server.h"

#include <unistd.h>

#include <fmt/format.h>

#include "daemon/modules/module_loader.h"

namespace sloth {

ControlServer::ControlServer(UniqueFd listen_fd, ControlAccess access, ControlApi& api, Telemetry& telemetry,
                             Logger& log)
    : api_(api), telemetry_(telemetry), log_(log), access_(std::move(access)) {
  ReplaceListener(std::move(listen_fd));
}

ControlServer::~ControlServer() { Shutdown(Duration::zero()); }

std::optional<PeerCredentials> ControlServer::CredentialsOf(std::string_view grpc_peer) const {
  std::lock_guard lock(acceptors_mutex_);
  for (auto it = acceptors_.rbegin(); it != acceptors_.rend(); ++it) {
    if (auto cred = (*it)->CredentialsOf(grpc_peer)) return cred;
  }
  return std::nullopt;
}

ControlFrontEnd* ControlServer::EnsureFrontEnd() {
  std::lock_guard lock(front_end_mutex_);
  if (front_end_ || shut_down_) return front_end_.get();
  auto symbol = LoadModuleSymbol(kGrpcModuleFileName, kCreateControlFrontEndSymbol);
  if (symbol) {
    auto create = reinterpret_cast<CreateControlFrontEndFn>(*symbol);
    front_end_.reset(create(&api_, &telemetry_, &log_, [this](std::string_view peer) { return CredentialsOf(peer); }));
  }
  if (!front_end_) {
    log_.Error(fmt::format("the gRPC control front end is not available, control calls are refused: {}",
                           symbol ? "it did not start" : symbol.error().message));
  }
  return front_end_.get();
}

void ControlServer::StopAccepting() {
  std::lock_guard lock(acceptors_mutex_);
  if (!acceptors_.empty()) acceptors_.back()->Stop();
}

void ControlServer::SetAccess(ControlAccess access) {
  std::lock_guard lock(acceptors_mutex_);
  access_ = access;
  if (!acceptors_.empty()) acceptors_.back()->SetAccess(std::move(access));
}

void ControlServer::ReplaceListener(UniqueFd listen_fd) {
  ControlAccess access;
  {
    std::lock_guard lock(acceptors_mutex_);
    access = access_;
  }
  auto next = std::make_unique<ControlSocketAcceptor>(
      std::move(listen_fd), std::move(access),
      [this](int fd) {
        if (ControlFrontEnd* front_end = EnsureFrontEnd()) {
          front_end->Serve(fd);
        } else {
          ::close(fd);
        }
      },
      [this] { telemetry_.ErrorOccurred("control_refused"); }, log_);
  std::lock_guard lock(acceptors_mutex_);
  next->SetAccess(access_);  // in case it changed meanwhile
  if (!acceptors_.empty()) acceptors_.back()->Stop();
  acceptors_.push_back(std::move(next));
}

void ControlServer::Shutdown(Duration grace) {
  StopAccepting();
  std::lock_guard lock(front_end_mutex_);
  shut_down_ = true;
  if (front_end_) front_end_->Shutdown(grace);
  front_end_.reset();
}

}  // namespace sloth
