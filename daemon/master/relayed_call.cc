#include "daemon/master/relayed_call.h"

#include <fmt/format.h>

#include "common/message_ids.h"
#include "daemon/core/agent_info.h"
#include "daemon/grpc/byte_buffers.h"
#include "daemon/grpc/grpc_status_name.h"
#include "daemon/master/agent_session.h"
#include "daemon/master/peer_identity.h"

namespace sloth {
namespace {

constexpr std::string_view kAgentServicePrefix = "/sloth.v1.Agent/";

// Polled by dashboards: logged at debug level; the rest are actions, logged for audit.
bool IsRead(std::string_view method) {
  return method == "GetInfo" || method == "GetHealth" || method == "ListTasks" || method == "GetMetrics";
}

}  // namespace

void RelayedCall::Listen(MasterQueue& queue) {
  auto* call = new RelayedCall(queue);
  call->context_.AsyncNotifyWhenDone(&call->done_tag_);
  queue.generic.RequestCall(&call->context_, &call->stream_, queue.cq.get(), queue.cq.get(), &call->arrived_);
}

RelayedCall::RelayedCall(MasterQueue& queue) : queue_(queue), stream_(&context_) {}

void RelayedCall::Proceed(int op, bool ok) {
  switch (op) {
    case kArrived:
      if (!ok) {  // shutting down: the call never started, and its done tag never comes
        delete this;
        return;
      }
      Listen(queue_);
      Admit();
      break;
    case kRead:
      reading_ = false;
      if (!ok) {
        Finish({grpc::StatusCode::INVALID_ARGUMENT, "the call carried no request message"});
      } else {
        Route();
      }
      break;
    case kWritten: {
      writing_ = false;
      if (!ok) {  // the operator is gone; the done tag detaches us from the agent
        outbox_.clear();
        Finish({grpc::StatusCode::CANCELLED, "the caller went away"});
        break;
      }
      if (session_ != nullptr) session_->Credit(id_, in_flight_bytes_);
      if (!outbox_.empty()) {
        StartWrite();
      } else if (finish_wanted_) {
        StartFinish();
      }
      break;
    }
    case kFinished: finished_ = true; break;
    case kDone:
      done_ = true;
      if (context_.IsCancelled()) {
        if (session_ != nullptr) session_->Detach(id_, true);  // the agent stops serving it
        session_ = nullptr;
        outbox_.clear();
        Finish({grpc::StatusCode::CANCELLED, "cancelled by the caller"});
      }
      break;
  }
  if (Done()) delete this;
}

void RelayedCall::Admit() {
  method_ = context_.method();
  if (!method_.starts_with(kAgentServicePrefix)) {
    return Finish(
        {grpc::StatusCode::UNIMPLEMENTED,
         fmt::format("the master serves sloth.v1.Master and relays sloth.v1.Agent's methods; not {}", method_)});
  }
  const std::string peer = context_.peer();
  auto allowed = queue_.access->AuthorizeOperator(PeerCertificateOf(context_), AuthorizationOf(context_));
  if (!allowed) {
    queue_.telemetry->AuthFailed(allowed.error().reason);
    queue_.log->Log(LogLevel::kWarning, fmt::format("refused {} from {}: {}", method_, peer, allowed.error().message),
                    {{"SLOTH_PEER", peer}, {"SLOTH_REASON", allowed.error().reason}}, message_id::kAccessRefused);
    return Finish(StatusOf(allowed.error()));
  }
  caller_ = std::move(allowed).value();
  auto agent = MetadataOf(context_, kAgentMetadataKey);
  if (!agent || agent->empty()) {
    return Finish({grpc::StatusCode::INVALID_ARGUMENT,
                   fmt::format("which agent? a relayed call names it in its '{}' metadata", kAgentMetadataKey)});
  }
  agent_ = std::move(*agent);
  const std::string_view method = std::string_view(method_).substr(kAgentServicePrefix.size());
  queue_.telemetry->OperatorCalled(caller_, method);
  const LogLevel level = IsRead(method) ? LogLevel::kDebug : LogLevel::kInfo;
  if (queue_.log->Enabled(level)) {
    queue_.log->Log(level, fmt::format("{} on agent {} by {} from {}", method, agent_, caller_, peer),
                    {{"SLOTH_AGENT", agent_},
                     {"SLOTH_CALLER", caller_},
                     {"SLOTH_METHOD", std::string(method)},
                     {"SLOTH_PEER", peer}},
                    message_id::kControlCall);
  }
  reading_ = true;
  stream_.Read(&request_, &read_);
}

void RelayedCall::Route() {
  const WallTime now = queue_.now();
  const auto view = queue_.registry->Find(agent_, now);
  auto live = queue_.sessions.find(agent_);
  if (!view) {
    return Finish({grpc::StatusCode::NOT_FOUND,
                   fmt::format("no agent named '{}' is registered with this master ('slothctl agent list' shows "
                               "them)",
                               agent_)});
  }
  if (live == queue_.sessions.end() || view->status != AgentStatus::kUp) {
    const auto silent = std::chrono::duration_cast<std::chrono::seconds>(now - view->record.last_heartbeat);
    return Finish({grpc::StatusCode::UNAVAILABLE,
                   fmt::format("agent '{}' is {}: last heard from {} ({}s ago)", agent_, AgentStatusName(view->status),
                               FormatRfc3339(view->record.last_heartbeat), silent.count())});
  }
  uint64_t timeout_ms = 0;
  if (context_.deadline() != std::chrono::system_clock::time_point::max()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(context_.deadline() - std::chrono::system_clock::now());
    timeout_ms = static_cast<uint64_t>(std::max<int64_t>(left.count(), 1));
  }
  session_ = live->second;
  id_ = session_->StartRelay(this, method_, ByteBufferToString(request_), caller_, timeout_ms);
}

void RelayedCall::OnReply(std::string message) {
  if (finish_started_ || finish_wanted_) return;
  outbox_.push_back(std::move(message));
  if (!writing_) StartWrite();
}

void RelayedCall::OnEnd(grpc::Status status) {
  session_ = nullptr;
  const std::string_view method = std::string_view(method_).substr(kAgentServicePrefix.size());
  queue_.telemetry->CallRelayed(method, GrpcStatusName(status.error_code()));
  Finish(std::move(status));
}

void RelayedCall::OnAgentLost(const std::string& why) {
  session_ = nullptr;
  const std::string_view method = std::string_view(method_).substr(kAgentServicePrefix.size());
  queue_.telemetry->CallRelayed(method, GrpcStatusName(grpc::StatusCode::UNAVAILABLE));
  Finish({grpc::StatusCode::UNAVAILABLE, why});
}

void RelayedCall::StartWrite() {
  in_flight_bytes_ = outbox_.front().size();
  in_flight_ = StringToByteBuffer(outbox_.front());
  outbox_.pop_front();
  writing_ = true;
  stream_.Write(in_flight_, &written_);
}

void RelayedCall::Finish(grpc::Status status) {
  if (finish_started_ || finish_wanted_) return;
  final_status_ = std::move(status);
  if (writing_ || !outbox_.empty()) {
    finish_wanted_ = true;  // the replies queued go out first
  } else {
    StartFinish();
  }
}

void RelayedCall::StartFinish() {
  finish_wanted_ = false;
  finish_started_ = true;
  stream_.Finish(final_status_, &finished_tag_);
}

}  // namespace sloth
