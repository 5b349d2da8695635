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
// backpressure: a worker whose client reads slowly waits once kMaxQueuedBytes of events are
// queued, and the task's pipe fills behind it.
#include "daemon/grpc/grpc_front_end.h"

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_posix.h>
#include <pthread.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/worker_pool.h"
#include "daemon/grpc/control_service.h"
#include "daemon/grpc/metrics_interceptor.h"
#include "daemon/grpc/unary_call.h"
#include "proto/grpc_tuning.h"
#include "sloth/v1/agent.grpc.pb.h"

namespace sloth {
namespace {

// Events a RunTask worker may queue ahead of its client before it waits (backpressure).
constexpr size_t kMaxQueuedBytes = 256 * 1024;
// A control connection with no call in flight for this long is closed (GOAWAY), silent ones
// included: idle connections cannot pile up. slothctl opens one per command and reconnects.
constexpr std::chrono::milliseconds kMaxConnectionIdle = std::chrono::seconds(20);
// Idle workers kept for the next RunTask; more than that exit when their task is done.
constexpr size_t kIdleWorkersKept = 16;

// RunTask: the task runs on a pool worker; its events go out as asynchronous writes, one in
// flight at a time, the rest queued (bounded). Owned by the completion-queue side (`self_`,
// until the stream is finished) and by the worker while it runs the task.
class RunTaskCall final : public Call {
 public:
  static void Listen(CallQueue& queue) {
    auto call = std::shared_ptr<RunTaskCall>(new RunTaskCall(queue));
    call->self_ = call;
    queue.service.RequestRunTask(&call->context_, &call->request_, &call->writer_, queue.cq.get(), queue.cq.get(),
                                 &call->arrived_);
  }

  void Proceed(int op, bool ok) override {
    switch (op) {
      case kArrived: {
        if (!ok) {
          self_.reset();  // shutting down; deletes this
          return;
        }
        Listen(queue_);
        TaskSpec spec;
        const grpc::Status status = queue_.control->CheckRunTask(request_, &spec);
        std::lock_guard lock(mutex_);
        if (!status.ok()) {
          final_status_ = status;
          finishing_ = true;
          StartFinishLocked();
          return;
        }
        // Admitted here; a worker spawns the task, follows it to its end and writes its events
        // (the started event too: ControlService::kStartedEventDelay).
        auto begun = queue_.control->BeginRunTask(queue_.control->CallerOf(context_), std::move(spec));
        if (!begun) {  // refused: its result is the whole stream
          final_ = begun.error();
          finishing_ = true;
          StartFinishLocked();
          return;
        }
        auto started = std::make_shared<TaskRunner::Started>(std::move(begun).value());
        auto work = [call = self_, started]() mutable { call->Work(std::move(*started)); };
        if (!queue_.workers->Submit(std::move(work))) {
          // No thread to follow it: the task is cancelled (dropping its handle) and the caller told.
          started.reset();
          final_status_ = {grpc::StatusCode::RESOURCE_EXHAUSTED,
                           "no thread to follow the task: the system is out of threads"};
          finishing_ = true;
          StartFinishLocked();
        }
        return;
      }
      case kWritten: {
        std::lock_guard lock(mutex_);
        writing_ = false;
        if (!ok) {  // the client went away: the task runs on, unheard
          client_gone_ = true;
          outbox_.clear();
          queued_bytes_ = 0;
        }
        if (!outbox_.empty()) {
          StartWriteLocked();
        } else if (finishing_) {
          StartFinishLocked();
        }
        drained_.notify_all();
        return;
      }
      case kFinished: {
        std::shared_ptr<RunTaskCall> last = std::move(self_);  // may delete this on return
        return;
      }
    }
  }

 private:
  enum { kArrived, kWritten, kFinished };
  explicit RunTaskCall(CallQueue& queue) : queue_(queue), writer_(&context_) {}

  // On the worker: follows the task to its end, then finishes the stream with the result.
  void Work(TaskRunner::Started started) {
    v1::RunTaskEvent result =
        queue_.control->CompleteRunTask(std::move(started), [this](const v1::RunTaskEvent& event) { Send(event); });
    std::lock_guard lock(mutex_);
    final_ = std::move(result);
    finishing_ = true;
    if (!writing_) StartFinishLocked();
  }

  void Send(const v1::RunTaskEvent& event) {
    std::unique_lock lock(mutex_);
    if (client_gone_) return;
    QueueLocked(event);
    drained_.wait(lock, [this] { return client_gone_ || queued_bytes_ <= kMaxQueuedBytes; });
  }

  // Queued behind the others; written now if no write is in flight.
  void QueueLocked(v1::RunTaskEvent event) {
    queued_bytes_ += event.ByteSizeLong();
    outbox_.push_back(std::move(event));
    if (!writing_) StartWriteLocked();
  }

  void StartWriteLocked() {
    in_flight_ = std::move(outbox_.front());
    outbox_.pop_front();
    queued_bytes_ -= in_flight_.ByteSizeLong();
    writing_ = true;
    writer_.Write(in_flight_, &written_);
  }

  void StartFinishLocked() {
    if (finish_started_) return;
    finish_started_ = true;
    if (!final_status_.ok()) {
      writer_.Finish(final_status_, &finished_);
    } else if (client_gone_) {
      writer_.Finish(grpc::Status::OK, &finished_);
    } else {
      writer_.WriteAndFinish(final_, grpc::WriteOptions(), grpc::Status::OK, &finished_);  // one write
    }
  }

  CallQueue& queue_;
  std::shared_ptr<RunTaskCall> self_;  // completion-queue thread only
  grpc::ServerContext context_;
  v1::RunTaskRequest request_;
  grpc::ServerAsyncWriter<v1::RunTaskEvent> writer_;
  Tag arrived_{this, kArrived};
  Tag written_{this, kWritten};
  Tag finished_{this, kFinished};

  std::mutex mutex_;  // guards what follows
  std::condition_variable drained_;
  std::deque<v1::RunTaskEvent> outbox_;
  size_t queued_bytes_ = 0;
  v1::RunTaskEvent in_flight_;  // kept alive until its write completes
  v1::RunTaskEvent final_;
  grpc::Status final_status_;  // not OK: the stream ends with this status and no result
  bool writing_ = false;
  bool finishing_ = false;
  bool finish_started_ = false;
  bool client_gone_ = false;
};

// Threads: Serve is called from slothd's acceptor thread, Shutdown from its main thread.
class GrpcFrontEnd final : public ControlFrontEnd {
 public:
  GrpcFrontEnd(ControlApi& api, Telemetry& telemetry, CredentialsLookup credentials)
      : control_(api, std::move(credentials)) {
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
    RunTaskCall::Listen(queue_);
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
  auto front_end = std::make_unique<sloth::GrpcFrontEnd>(*api, *telemetry, std::move(credentials));
  if (!front_end->ok()) {
    log->Error("cannot start the gRPC control server");
    return nullptr;
  }
  return front_end.release();  // owned by slothd's ControlServer from here
}
