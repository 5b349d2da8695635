#pragma once
// One RunTask("true") stream at a time on a completion queue, started again when it ends while
// `again()` says so: N of them on one thread keep N tasks in flight without a thread per caller
// (whose wake-ups would compete with the agent for the same cores). For the task benchmarks.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>

#include "sloth/v1/agent.grpc.pb.h"

namespace sloth::bench {

class AsyncTaskCaller {
 public:
  AsyncTaskCaller(v1::Agent::Stub& stub, grpc::CompletionQueue& cq, std::atomic<long>& ok, std::atomic<long>& failed,
                  std::function<bool()> again)
      : stub_(stub), cq_(cq), ok_(ok), failed_(failed), again_(std::move(again)) {
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
  // The completion of this caller's last operation; returns false once its stream ended and no
  // other is started.
  bool Proceed(bool ok) {
    switch (step_) {
      case Step::kStarting:
      case Step::kReading:
        if (ok && !(step_ == Step::kReading && event_.has_result())) {
          step_ = Step::kReading;
          reader_->Read(&event_, this);
        } else {
          // The result is the last event (as slothctl does, no Read round for the stream's end).
          if (ok) success_ = event_.result().status() == v1::TASK_STATUS_SUCCESS;
          step_ = Step::kFinishing;
          reader_->Finish(&status_, this);
        }
        return true;
      case Step::kFinishing:
        (status_.ok() && success_ ? ok_ : failed_).fetch_add(1, std::memory_order_relaxed);
        if (!again_()) return false;
        Start();
        return true;
    }
    return false;
  }

 private:
  enum class Step { kStarting, kReading, kFinishing };
  v1::Agent::Stub& stub_;
  grpc::CompletionQueue& cq_;
  std::atomic<long>& ok_;
  std::atomic<long>& failed_;
  std::function<bool()> again_;
  v1::RunTaskRequest request_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientAsyncReader<v1::RunTaskEvent>> reader_;
  v1::RunTaskEvent event_;
  grpc::Status status_;
  Step step_ = Step::kStarting;
  bool success_ = false;
};

// Runs `callers` AsyncTaskCallers on one completion queue until none starts again.
inline void RunAsyncCallers(v1::Agent::Stub& stub, int callers, std::atomic<long>& ok, std::atomic<long>& failed,
                            const std::function<bool()>& again) {
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<AsyncTaskCaller>> all;
  for (int c = 0; c < callers; ++c) {
    all.push_back(std::make_unique<AsyncTaskCaller>(stub, cq, ok, failed, again));
    all.back()->Start();
  }
  int live = callers;
  void* tag = nullptr;
  bool event_ok = false;
  while (live > 0 && cq.Next(&tag, &event_ok)) {
    if (!static_cast<AsyncTaskCaller*>(tag)->Proceed(event_ok)) --live;
  }
  cq.Shutdown();
  while (cq.Next(&tag, &event_ok)) {
  }
}

}  // namespace sloth::bench
