// The gRPC front end module (slothd-grpc.so): a grpc::Server with no port of its own, fed the
// connections slothd accepts. Built as a MODULE; resolves ControlApi, Telemetry and Logger
// from the slothd executable (ENABLE_EXPORTS).
#include "daemon/grpc/grpc_front_end.h"

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_posix.h>
#include <unistd.h>

#include <memory>

#include "daemon/grpc/control_service.h"
#include "daemon/grpc/metrics_interceptor.h"

namespace sloth {
namespace {

// Threads: Serve is called from slothd's acceptor thread, Shutdown from its main thread.
class GrpcFrontEnd final : public ControlFrontEnd {
 public:
  GrpcFrontEnd(ControlApi& api, Telemetry& telemetry, CredentialsLookup credentials)
      : service_(api, std::move(credentials)) {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    // RunTask holds its thread for the task's life, so the sync server's default of at most 2
    // idle pollers made it create and destroy a thread for nearly every call (strace: one
    // clone3 per call). Keeping up to 16 took task throughput at 4 clients from 0.58 to 0.63
    // of the raw spawn rate.
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::NUM_CQS, 1);
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 16);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
    interceptors.push_back(std::make_unique<MetricsInterceptorFactory>(telemetry));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
  }

  bool ok() const { return server_ != nullptr; }

  void Serve(int fd) override { grpc::AddInsecureChannelFromFd(server_.get(), fd); }

  void Shutdown(Duration grace) override {
    if (!server_) return;
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::duration_cast<std::chrono::system_clock::duration>(grace));
    server_->Wait();
    server_.reset();
  }

  ~GrpcFrontEnd() override { Shutdown(Duration::zero()); }

 private:
  ControlService service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace
}  // namespace sloth

extern "C" __attribute__((visibility("default"))) sloth::ControlFrontEnd* sloth_create_grpc_front_end(
    sloth::ControlApi* api, sloth::Telemetry* telemetry, sloth::Logger* log, sloth::CredentialsLookup credentials) {
  auto front_end = std::make_unique<sloth::GrpcFrontEnd>(*api, *telemetry, std::move(credentials));
  if (!front_end->ok()) {
    log->Error("cannot start the gRPC control server");
    return nullptr;
  }
  return front_end.release();  // owned by slothd's ControlServer from here
}
