// The gRPC front end module (slothd-grpc.so): a grpc::Server with no port of its own, fed the
// connections slothd accepts. Built as a MODULE; resolves ControlApi, Telemetry and Logger
// from the slothd executable (ENABLE_EXPORTS).
//
// Threads. gRPC's sync server passed every event through a leader/follower chain of poller
// threads: 7.3 context switches and 0.23 ms of daemon CPU per RunTask at 4 clients, mostly the
// kernel scheduling those hand-offs. Here one thread drives the completion queue and answers the
// quick calls itself; a RunTask is admitted there, then a pool worker spawns the task, follows
// it and hands its events back as asynchronous writes: 3.6 context switches and 0.11 ms per task
// when this design replaced the sync server. The worker spawns, not the receiving thread, because
// the thread that waits for the exec should be the one that then waits for the exit: work left
// to another thread after a spawn waits behind the new shell on the same CPU. The stream keeps its
// backpressure: a worker whose client reads slowly waits once enough events are queued, and the
// task's pipe fills behind it (stream_call.h). RunWorkflow is served the same way: its worker
// follows the run.
#include "daemon/grpc/grpc_front_end.h"

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_posix.h>
#include <pthread.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/worker_pool.h"
#include "daemon/core/fleet/tls_material.h"
#include "daemon/grpc/control_service.h"
#include "daemon/grpc/master_link.h"
#include "daemon/grpc/metrics_interceptor.h"
#include "daemon/grpc/stream_call.h"
#include "daemon/grpc/unary_call.h"
#include "proto/grpc_tuning.h"
#include "sloth/v1/agent.grpc.pb.h"

namespace sloth {
namespace {

// A control connection with no call in flight for this long is closed (GOAWAY), silent ones
// included: idle connections cannot pile up. slothctl opens one per command and reconnects.
constexpr std::chrono::milliseconds kMaxConnectionIdle = std::chrono::seconds(20);
// Idle workers kept for the next streaming call; more than that exit when their call is done.
constexpr size_t kIdleWorkersKept = 16;

// Threads: Serve is called from slothd's acceptor thread, Shutdown from its main thread.
class GrpcFrontEnd final : public ControlFrontEnd {
 public:
  GrpcFrontEnd(ControlApi& api, Telemetry& telemetry, Logger& log, CredentialsLookup credentials)
      : control_(api, std::move(credentials)), telemetry_(telemetry), log_(log) {
    queue_.control = &control_;
    queue_.workers = &workers_;
    grpc::ServerBuilder builder;
    builder.RegisterService(&queue_.service);
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, static_cast<int>(kMaxConnectionIdle.count()));
    queue_.cq = builder.AddCompletionQueue();
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
    interceptors.push_back(std::make_unique<MetricsInterceptorFactory>(telemetry));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
    if (!server_) return;
    ListenForUnaryCalls(queue_);
    ListenForStreamingCalls(queue_);
    cq_thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "slothd-grpc");
      void* tag = nullptr;
      bool ok = false;
      while (queue_.cq->Next(&tag, &ok)) {
        const Tag* t = static_cast<const Tag*>(tag);
        t->call->Proceed(t->op, ok);
      }
    });
  }

  bool ok() const { return server_ != nullptr; }

  void Serve(int fd) override { grpc::AddInsecureChannelFromFd(server_.get(), fd); }

  Result<std::unique_ptr<MasterLink>> DialMaster(MasterLinkSettings settings) override {
    if (!settings.insecure) {
      if (auto checked = CheckCertificates(settings.ca_pem, "[agent] master_ca"); !checked) return checked.error();
      if (auto checked = CheckKeyPair(settings.cert_pem, settings.key_pem, "[agent] master_cert and master_key");
          !checked) {
        return checked.error();
      }
    }
    // Relayed calls are served by this server, as if they came from the control socket.
    grpc::ChannelArguments arguments;
    arguments.SetMaxReceiveMessageSize(-1);
    return std::unique_ptr<MasterLink>(std::make_unique<MasterLinkClient>(
        std::move(settings), server_->InProcessChannel(arguments), control_.relay_key(), telemetry_, log_));
  }

  void Shutdown(Duration grace) override {
    if (!server_) return;
    // Returns once every call is over: after `grace`, calls still open are cancelled (their
    // tasks run on, unheard, until the runner's own shutdown ends them).
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::duration_cast<std::chrono::system_clock::duration>(grace));
    workers_.Drain();
    queue_.cq->Shutdown();
    if (cq_thread_.joinable()) cq_thread_.join();
    server_.reset();
  }

  ~GrpcFrontEnd() override { Shutdown(Duration::zero()); }

 private:
  ControlService control_;
  Telemetry& telemetry_;
  Logger& log_;
  WorkerPool workers_{"slothd-grpc-run", kIdleWorkersKept};
  CallQueue queue_;
  std::unique_ptr<grpc::Server> server_;
  std::thread cq_thread_;
};

}  // namespace
}  // namespace sloth

extern "C" __attribute__((visibility("default"))) sloth::ControlFrontEnd* sloth_create_grpc_front_end(
    sloth::ControlApi* api, sloth::Telemetry* telemetry, sloth::Logger* log, sloth::CredentialsLookup credentials) {
  sloth::TurnOffMutexDebugging();
  auto front_end = std::make_unique<sloth::GrpcFrontEnd>(*api, *telemetry, *log, std::move(credentials));
  if (!front_end->ok()) {
    log->Error("cannot start the gRPC control server");
    return nullptr;
  }
  return front_end.release();  // owned by slothd's ControlServer from here
}
