#pragma once
// The server-streaming calls of sloth.v1.Agent (RunTask, RunWorkflow), from a row each of the
// table in control_service.cc: how to ask for the method's next call, and how to begin one on the
// completion-queue thread (its work, or how the stream ends at once). The work runs on a pool
// worker, which may wait (a task, a run); its events go out as asynchronous writes, one in flight
// at a time, the rest queued. A stream with backpressure makes its worker wait once
// `max_queued_bytes` of events are queued (a task's output then fills its pipe behind it).
// Threads: Proceed on the completion-queue thread; the work on a worker; Send from the worker or,
// for a stream without backpressure, any thread.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <variant>

#include <grpcpp/grpcpp.h>

#include "common/result.h"
#include "daemon/grpc/unary_call.h"

namespace sloth {

// How a stream ends: its last event (the call then ends OK), or a status without one.
template <class Event>
using StreamEnding = std::variant<Event, grpc::Status>;
template <class Event>
using EventSender = std::function<void(const Event&)>;
// The part of a call that may wait, on a worker: its events handed to `send`, its ending returned.
template <class Event>
using StreamWork = std::function<StreamEnding<Event>(const EventSender<Event>& send)>;

template <class Request, class Event>
using StreamRequestFn = void (v1::Agent::AsyncService::*)(grpc::ServerContext*, Request*,
                                                          grpc::ServerAsyncWriter<Event>*, grpc::CompletionQueue*,
                                                          grpc::ServerCompletionQueue*, void*);
// On the completion-queue thread, never waiting: the call's work, or its ending now.
template <class Request, class Event>
using StreamBeginFn = Result<StreamWork<Event>, StreamEnding<Event>> (*)(ControlService& control, const Caller& caller,
                                                                         const Request& request);

// Owned by the completion-queue side (`self_`, until the stream is finished) and by the worker
// while the work runs.
template <class Request, class Event>
class StreamCall final : public Call {
 public:
  static void Listen(CallQueue& queue, StreamRequestFn<Request, Event> request, StreamBeginFn<Request, Event> begin,
                     size_t max_queued_bytes) {
    auto call = std::shared_ptr<StreamCall>(new StreamCall(queue, request, begin, max_queued_bytes));
    call->self_ = call;
    (queue.service.*request)(&call->context_, &call->request_, &call->writer_, queue.cq.get(), queue.cq.get(),
                             &call->arrived_);
  }

  void Proceed(int op, bool ok) override {
    switch (op) {
      case kArrived: {
        if (!ok) {
          self_.reset();  // shutting down; deletes this
          return;
        }
        Listen(queue_, request_fn_, begin_fn_, max_queued_bytes_);
        auto begun = begin_fn_(*queue_.control, queue_.control->CallerOf(context_), request_);
        std::lock_guard lock(mutex_);
        if (!begun) {  // ends now: refused, or invalid
          EndLocked(begun.error());
          return;
        }
        auto work = std::make_shared<StreamWork<Event>>(std::move(begun).value());
        if (!queue_.workers->Submit([call = self_, work] { call->Work(*work); })) {
          EndLocked(grpc::Status{grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "no thread to follow the call: the system is out of threads"});
        }
        return;
      }
      case kWritten: {
        std::lock_guard lock(mutex_);
        writing_ = false;
        if (!ok) {  // the client went away: the work runs on, unheard
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
        std::shared_ptr<StreamCall> last = std::move(self_);  // may delete this on return
        return;
      }
    }
  }

 private:
  enum { kArrived, kWritten, kFinished };
  StreamCall(CallQueue& queue, StreamRequestFn<Request, Event> request, StreamBeginFn<Request, Event> begin,
             size_t max_queued_bytes)
      : queue_(queue),
        request_fn_(request),
        begin_fn_(begin),
        max_queued_bytes_(max_queued_bytes),
        writer_(&context_) {}

  // On the worker: the work to its end, then the stream's ending.
  void Work(const StreamWork<Event>& work) {
    StreamEnding<Event> ending = work([this](const Event& event) { Send(event); });
    std::lock_guard lock(mutex_);
    EndLocked(std::move(ending));
  }

  void EndLocked(StreamEnding<Event> ending) {
    if (auto* status = std::get_if<grpc::Status>(&ending)) {
      final_status_ = *status;
    } else {
      final_ = std::move(std::get<Event>(ending));
    }
    finishing_ = true;
    if (!writing_) StartFinishLocked();
  }

  void Send(const Event& event) {
    std::unique_lock lock(mutex_);
    if (client_gone_) return;
    queued_bytes_ += event.ByteSizeLong();
    outbox_.push_back(event);
    if (!writing_) StartWriteLocked();
    drained_.wait(lock, [this] { return client_gone_ || queued_bytes_ <= max_queued_bytes_; });
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
  const StreamRequestFn<Request, Event> request_fn_;
  const StreamBeginFn<Request, Event> begin_fn_;
  const size_t max_queued_bytes_;
  std::shared_ptr<StreamCall> self_;  // completion-queue thread only
  grpc::ServerContext context_;
  Request request_;
  grpc::ServerAsyncWriter<Event> writer_;
  Tag arrived_{this, kArrived};
  Tag written_{this, kWritten};
  Tag finished_{this, kFinished};

  std::mutex mutex_;  // guards what follows
  std::condition_variable drained_;
  std::deque<Event> outbox_;
  size_t queued_bytes_ = 0;
  Event in_flight_;  // kept alive until its write completes
  Event final_;
  grpc::Status final_status_;  // not OK: the stream ends with this status and no last event
  bool writing_ = false;
  bool finishing_ = false;
  bool finish_started_ = false;
  bool client_gone_ = false;
};

// One row of the table: a streaming method and how its calls begin.
template <class Request, class Event>
void ListenStream(CallQueue& queue, StreamRequestFn<Request, Event> request, StreamBeginFn<Request, Event> begin,
                  size_t max_queued_bytes) {
  StreamCall<Request, Event>::Listen(queue, request, begin, max_queued_bytes);
}

}  // namespace sloth
