// The daemon's task throughput: N concurrent gRPC clients, each running RunTask("true") in a
// loop on the agent's control socket for a fixed time. Prints "task_throughput N RATE FAILED
// CLIENT_CPU_US" (the last: this process's CPU time per call, in microseconds).
// With a 4th argument "health", GetHealth calls instead: the gRPC round trip alone (its floor).
// With "async", one thread keeps N RunTask streams in flight on one channel through a completion
// queue: N concurrent callers whose own CPU cost (a thread per caller, each woken per message)
// does not compete with the agent for the same cores as much.
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "proto/grpc_tuning.h"
#include "sloth/v1/agent.grpc.pb.h"
#include "tests/bench/measuring_window.h"

namespace {

// One RunTask stream at a time, restarted when it ends; driven by completions on `cq`.
class AsyncCaller {
 public:
  AsyncCaller(sloth::v1::Agent::Stub& stub, grpc::CompletionQueue& cq, std::atomic<long>& ok, std::atomic<long>& failed)
      : stub_(stub), cq_(cq), ok_(ok), failed_(failed) {
    request_.set_command("true");
    request_.set_name("bench");
  }
  void Start() {
    reader_.reset();  // the call before its context
    context_ = std::make_unique<grpc::ClientContext>();
    success_ = false;
    reader_ = stub_.PrepareAsyncRunTask(context_.get(), request_, &cq_);
    step_ = Step::kStarting;
    reader_->StartCall(this);
  }
  // Returns false once the stream ended and should not be restarted.
  bool Proceed(bool ok, bool stopping) {
    switch (step_) {
      case Step::kStarting:
      case Step::kReading:
        if (ok && !(step_ == Step::kReading && event_.has_result())) {
          step_ = Step::kReading;
          reader_->Read(&event_, this);
        } else {
          // The result is the last event (as slothctl does, no Read round for the stream's end).
          if (ok) success_ = event_.result().status() == sloth::v1::TASK_STATUS_SUCCESS;
          step_ = Step::kFinishing;
          reader_->Finish(&status_, this);
        }
        return true;
      case Step::kFinishing:
        (status_.ok() && success_ ? ok_ : failed_).fetch_add(1, std::memory_order_relaxed);
        if (stopping) return false;
        Start();
        return true;
    }
    return false;
  }

 private:
  enum class Step { kStarting, kReading, kFinishing };
  sloth::v1::Agent::Stub& stub_;
  grpc::CompletionQueue& cq_;
  std::atomic<long>& ok_;
  std::atomic<long>& failed_;
  sloth::v1::RunTaskRequest request_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientAsyncReader<sloth::v1::RunTaskEvent>> reader_;
  sloth::v1::RunTaskEvent event_;
  grpc::Status status_;
  Step step_ = Step::kStarting;
  bool success_ = false;
};

// User and system CPU time of this process so far.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: task_throughput SOCKET [CLIENTS] [SECONDS] [threads|async|health]\n");
    return 2;
  }
  const std::string socket = argv[1];
  const int clients = argc > 2 ? std::atoi(argv[2]) : 4;
  const double seconds = argc > 3 ? std::atof(argv[3]) : 5;
  const bool health_only = argc > 4 && std::string(argv[4]) == "health";
  const bool async = argc > 4 && std::string(argv[4]) == "async";
  sloth::TurnOffMutexDebugging();  // as slothd and slothctl do
  std::atomic<long> ok{0}, failed{0};
  // Async: one thread keeps `clients` streams in flight on one channel.
  auto async_loop = [&](const std::atomic<bool>& stop) {
    auto stub = sloth::v1::Agent::NewStub(grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
    grpc::CompletionQueue cq;
    std::vector<std::unique_ptr<AsyncCaller>> callers;
    for (int c = 0; c < clients; ++c) {
      callers.push_back(std::make_unique<AsyncCaller>(*stub, cq, ok, failed));
      callers.back()->Start();
    }
    int live = clients;
    void* tag = nullptr;
    bool event_ok = false;
    while (live > 0 && cq.Next(&tag, &event_ok)) {
      if (!static_cast<AsyncCaller*>(tag)->Proceed(event_ok, stop.load(std::memory_order_relaxed))) --live;
    }
    cq.Shutdown();
    while (cq.Next(&tag, &event_ok)) {
    }
  };
  // Threads: each client thread has its own channel and a blocking stub.
  auto thread_loop = [&](const std::atomic<bool>& stop) {
    auto stub = sloth::v1::Agent::NewStub(grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
    sloth::v1::RunTaskRequest request;
    request.set_command("true");
    request.set_name("bench");
    while (!stop.load(std::memory_order_relaxed)) {
      grpc::ClientContext context;
      if (health_only) {
        sloth::v1::Health health;
        (stub->GetHealth(&context, {}, &health).ok() ? ok : failed).fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      auto reader = stub->RunTask(&context, request);
      sloth::v1::RunTaskEvent event;
      bool success = false;
      while (reader->Read(&event)) {
        if (event.has_result()) {
          success = event.result().status() == sloth::v1::TASK_STATUS_SUCCESS;
          break;  // the last event
        }
      }
      (reader->Finish().ok() && success ? ok : failed).fetch_add(1, std::memory_order_relaxed);
    }
  };
  const double cpu_before = CpuSeconds();
  const double elapsed = async ? sloth::bench::RunForWindow(1, seconds, async_loop)
                               : sloth::bench::RunForWindow(clients, seconds, thread_loop);
  // The client's own CPU per call: it shares the cores with the agent and its tasks.
  const double calls = static_cast<double>(std::max(1L, ok.load() + failed.load()));
  std::printf("task_throughput %d %.1f %ld %.1f\n", clients, static_cast<double>(ok.load()) / elapsed, failed.load(),
              (CpuSeconds() - cpu_before) / calls * 1e6);
  return 0;
}
