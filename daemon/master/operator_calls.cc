#include "daemon/master/operator_calls.h"

#include <fmt/format.h>

#include "common/duration.h"
#include "common/message_ids.h"
#include "daemon/grpc/cq_tag.h"
#include "daemon/master/agent_session.h"
#include "daemon/master/peer_identity.h"

namespace sloth {
namespace {

template <class Request, class Reply>
using ServeFn = grpc::Status (*)(MasterQueue& queue, const std::string& caller, const Request& request, Reply* reply);

template <class Request, class Reply>
using RequestFn = void (v1::Master::AsyncService::*)(grpc::ServerContext*, Request*,
                                                     grpc::ServerAsyncResponseWriter<Reply>*, grpc::CompletionQueue*,
                                                     grpc::ServerCompletionQueue*, void*);

// One call of an operator method: authenticated, counted by caller, then served.
template <class Request, class Reply>
class OperatorCall final : public Call {
 public:
  static void Listen(MasterQueue& queue, std::string_view name, RequestFn<Request, Reply> request,
                     ServeFn<Request, Reply> serve) {
    new OperatorCall(queue, name, request, serve);
  }

  void Proceed(int op, bool ok) override {
    if (op != kArrived || !ok) {
      delete this;  // finished, or the server is shutting down
      return;
    }
    Listen(queue_, name_, request_fn_, serve_fn_);
    grpc::Status status;
    auto allowed = queue_.access->AuthorizeOperator(PeerCertificateOf(context_), AuthorizationOf(context_));
    if (!allowed) {
      queue_.telemetry->AuthFailed(allowed.error().reason);
      queue_.log->Log(
          LogLevel::kWarning, fmt::format("refused {} from {}: {}", name_, context_.peer(), allowed.error().message),
          {{"SLOTH_PEER", context_.peer()}, {"SLOTH_REASON", allowed.error().reason}}, message_id::kAccessRefused);
      status = StatusOf(allowed.error());
    } else {
      queue_.telemetry->OperatorCalled(*allowed, name_);
      status = serve_fn_(queue_, *allowed, request_, &reply_);
    }
    if (status.ok()) {
      responder_.Finish(reply_, status, &finished_);
    } else {
      responder_.FinishWithError(status, &finished_);
    }
  }

 private:
  enum { kArrived, kFinished };
  OperatorCall(MasterQueue& queue, std::string_view name, RequestFn<Request, Reply> request,
               ServeFn<Request, Reply> serve)
      : queue_(queue), name_(name), request_fn_(request), serve_fn_(serve), responder_(&context_) {
    (queue_.service.*request_fn_)(&context_, &request_, &responder_, queue_.cq.get(), queue_.cq.get(), &arrived_);
  }

  MasterQueue& queue_;
  const std::string name_;
  const RequestFn<Request, Reply> request_fn_;
  const ServeFn<Request, Reply> serve_fn_;
  grpc::ServerContext context_;
  Request request_;
  Reply reply_;
  grpc::ServerAsyncResponseWriter<Reply> responder_;
  Tag arrived_{this, kArrived};
  Tag finished_{this, kFinished};
};

v1::AgentStatus ToProto(AgentStatus status) {
  switch (status) {
    case AgentStatus::kUp: return v1::AGENT_STATUS_UP;
    case AgentStatus::kDown: return v1::AGENT_STATUS_DOWN;
    case AgentStatus::kGone: return v1::AGENT_STATUS_GONE;
  }
  return v1::AGENT_STATUS_UNSPECIFIED;
}

}  // namespace

void ToProto(const FleetRegistry::View& view, v1::AgentRecord* out) {
  const AgentRecord& r = view.record;
  out->set_name(r.name);
  out->set_version(r.version);
  out->set_os(r.os);
  out->set_arch(r.arch);
  out->mutable_labels()->insert(r.labels.begin(), r.labels.end());
  out->set_metrics_url(r.metrics_url);
  out->set_connected_since_unix_ms(UnixMillis(r.connected_since));
  out->set_last_heartbeat_unix_ms(UnixMillis(r.last_heartbeat));
  out->set_status(ToProto(view.status));
  out->set_address(r.address);
  out->set_tasks_running(r.tasks_running);
  out->set_first_seen_unix_ms(UnixMillis(r.first_seen));
}

void ListenForOperatorCalls(MasterQueue& queue) {
  using Svc = v1::Master::AsyncService;
  OperatorCall<v1::ListAgentsRequest, v1::ListAgentsResponse>::Listen(
      queue, "ListAgents", &Svc::RequestListAgents,
      [](MasterQueue& q, const std::string&, const v1::ListAgentsRequest&, v1::ListAgentsResponse* reply) {
        const auto views = q.registry->List(q.now());
        reply->mutable_agents()->Reserve(static_cast<int>(views.size()));
        for (const auto& view : views) ToProto(view, reply->add_agents());
        return grpc::Status::OK;
      });
  OperatorCall<v1::RemoveAgentRequest, v1::RemoveAgentResponse>::Listen(
      queue, "RemoveAgent", &Svc::RequestRemoveAgent,
      [](MasterQueue& q, const std::string& caller, const v1::RemoveAgentRequest& request,
         v1::RemoveAgentResponse* reply) {
        const auto removed = q.registry->Remove(request.name());
        if (!removed.known) {
          return grpc::Status(grpc::StatusCode::NOT_FOUND,
                              fmt::format("no agent named '{}' is registered with this master", request.name()));
        }
        q.log->Log(LogLevel::kNotice, fmt::format("agent {} removed from the registry by {}", request.name(), caller),
                   {{"SLOTH_AGENT", request.name()}, {"SLOTH_CALLER", caller}}, message_id::kControlCall);
        if (auto it = q.sessions.find(request.name()); it != q.sessions.end()) {
          reply->set_was_connected(true);
          AgentSession* session = it->second;
          q.sessions.erase(it);
          session->Close({grpc::StatusCode::NOT_FOUND,
                          fmt::format("removed from the master's registry by {}; dial again to register", caller)});
        }
        return grpc::Status::OK;
      });
}

}  // namespace sloth
