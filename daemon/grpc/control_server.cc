#include "daemon/grpc/control_server.h"

#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

namespace sloth {
namespace {

// Where the module may be: beside the running executable (the build tree), then the module
// directory relative to it (an installed tree, whatever its prefix), then the configured one.
// All are only writable by whoever could replace slothd itself.
std::vector<std::string> ModuleCandidates() {
  std::vector<std::string> paths;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    paths.push_back((exe.parent_path() / kGrpcModuleFileName).string());
    paths.push_back((exe.parent_path() / SLOTH_MODULE_DIR_FROM_SBIN / kGrpcModuleFileName).lexically_normal().string());
  }
  paths.push_back(std::string(SLOTH_MODULE_DIR) + "/" + kGrpcModuleFileName);
  return paths;
}

}  // namespace

ControlServer::ControlServer(UniqueFd listen_fd, ControlApi& api, Telemetry& telemetry, Logger& log)
    : api_(api), telemetry_(telemetry), log_(log) {
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
  std::string tried;
  for (const std::string& path : ModuleCandidates()) {
    if (::access(path.c_str(), R_OK) != 0) {
      tried += fmt::format(" {} (missing)", path);
      continue;
    }
    module_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!module_) {
      tried += fmt::format(" {} ({})", path, ::dlerror());
      continue;
    }
    auto create = reinterpret_cast<CreateControlFrontEndFn>(::dlsym(module_, kCreateControlFrontEndSymbol));
    if (!create) {
      tried += fmt::format(" {} (no {} symbol)", path, kCreateControlFrontEndSymbol);
      continue;
    }
    front_end_.reset(create(&api_, &telemetry_, &log_,
                            [this](std::string_view peer) { return CredentialsOf(peer); }));
    if (front_end_) {
      log_.Debug(fmt::format("control plane: gRPC front end loaded from {}", path));
      return front_end_.get();
    }
  }
  log_.Error(fmt::format("cannot load the gRPC control front end; control calls are refused. Tried:{}", tried));
  return nullptr;
}

void ControlServer::StopAccepting() {
  std::lock_guard lock(acceptors_mutex_);
  if (!acceptors_.empty()) acceptors_.back()->Stop();
}

void ControlServer::ReplaceListener(UniqueFd listen_fd) {
  auto next = std::make_unique<ControlSocketAcceptor>(
      std::move(listen_fd),
      [this](int fd) {
        if (ControlFrontEnd* front_end = EnsureFrontEnd()) {
          front_end->Serve(fd);
        } else {
          ::close(fd);
        }
      },
      log_);
  std::lock_guard lock(acceptors_mutex_);
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
