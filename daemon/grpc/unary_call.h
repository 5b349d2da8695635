#pragma once
// The completion-queue machinery of the gRPC front end (grpc_front_end.cc): a tag names a call
// and which of its operations finished, and the completion-queue thread hands each tag back to
// its call. UnaryCall serves one unary method of sloth.v1.Agent from a row of the table in
// control_service.cc: how to ask for the method's next call, and how to serve it.
// Threads: everything here runs on the completion-queue thread.
#include <memory>

#include <grpcpp/grpcpp.h>

#include "common/worker_pool.h"
#include "daemon/core/control_api.h"
#include "daemon/grpc/control_service.h"
#include "daemon/grpc/cq_tag.h"
#include "sloth/v1/agent.grpc.pb.h"

namespace sloth {

// What every call of one server uses.
struct CallQueue {
  v1::Agent::AsyncService service;
  std::unique_ptr<grpc::ServerCompletionQueue> cq;
  ControlService* control;
  WorkerPool* workers;
};

// Serves one call of a unary method: the request translated to ControlApi, the result to the reply.
template <class Request, class Reply>
using ServeFn = grpc::Status (*)(ControlApi& api, const Caller& caller, const Request& request, Reply* reply);

template <class Request, class Reply>
using RequestFn = void (v1::Agent::AsyncService::*)(grpc::ServerContext*, Request*,
                                                    grpc::ServerAsyncResponseWriter<Reply>*, grpc::CompletionQueue*,
                                                    grpc::ServerCompletionQueue*, void*);

// A unary call, served on the completion-queue thread: these never wait on a task.
template <class Request, class Reply>
class UnaryCall final : public Call {
 public:
  // Waits for the next call of this method; each call waits for the one after it.
  static void Listen(CallQueue& queue, RequestFn<Request, Reply> request, ServeFn<Request, Reply> serve) {
    new UnaryCall(queue, request, serve);
  }

  void Proceed(int op, bool ok) override {
    if (op == kArrived && ok) {
      Listen(queue_, request_fn_, serve_fn_);
      const grpc::Status status =
          serve_fn_(queue_.control->api(), queue_.control->CallerOf(context_), request_, &reply_);
      if (status.ok()) {
        responder_.Finish(reply_, status, &finished_);
      } else {
        responder_.FinishWithError(status, &finished_);
      }
      return;
    }
    delete this;  // finished, or the server is shutting down
  }

 private:
  enum { kArrived, kFinished };
  UnaryCall(CallQueue& queue, RequestFn<Request, Reply> request, ServeFn<Request, Reply> serve)
      : queue_(queue), request_fn_(request), serve_fn_(serve), responder_(&context_) {
    (queue_.service.*request_fn_)(&context_, &request_, &responder_, queue_.cq.get(), queue_.cq.get(), &arrived_);
  }

  CallQueue& queue_;
  const RequestFn<Request, Reply> request_fn_;
  const ServeFn<Request, Reply> serve_fn_;
  grpc::ServerContext context_;
  Request request_;
  Reply reply_;
  grpc::ServerAsyncResponseWriter<Reply> responder_;
  Tag arrived_{this, kArrived};
  Tag finished_{this, kFinished};
};

// One row of the table: a unary method and how it is served.
template <class Request, class Reply>
void ListenUnary(CallQueue& queue, RequestFn<Request, Reply> request, ServeFn<Request, Reply> serve) {
  UnaryCall<Request, Reply>::Listen(queue, request, serve);
}

}  // namespace sloth
