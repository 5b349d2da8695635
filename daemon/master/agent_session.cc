#include "daemon/master/agent_session.h"

#include <fmt/format.h>

#include "common/message_ids.h"
#include "daemon/master/peer_identity.h"
#include "daemon/master/relayed_call.h"

namespace sloth {

void AgentSession::Listen(MasterQueue& queue) {
  auto* session = new AgentSession(queue);
  queue.service.RequestConnect(&session->context_, &session->stream_, queue.cq.get(), queue.cq.get(),
                               &session->arrived_);
}

AgentSession::AgentSession(MasterQueue& queue) : queue_(queue), stream_(&context_) {}

void AgentSession::Proceed(int op, bool ok) {
  switch (op) {
    case kArrived:
      if (!ok) {  // shutting down: this call never started
        delete this;
        return;
      }
      Listen(queue_);
      address_ = context_.peer();
      StartRead();
      return;
    case kRead:
      reading_ = false;
      if (!ok) {  // the agent closed its side, or the connection is gone
        Ended();
        Finish(grpc::Status::OK);
      } else {
        OnMessage();
        if (!finish_started_ && !finish_wanted_) StartRead();
      }
      break;
    case kWritten:
      writing_ = false;
      if (!ok) outbox_.clear();  // the stream broke; the pending read ends it
      if (finish_wanted_) {
        StartFinish();
      } else if (!outbox_.empty()) {
        StartWrite();
      }
      break;
    case kFinished:
      finished_ = true;
      Ended();
      break;
  }
  if (Done()) delete this;
}

void AgentSession::StartRead() {
  reading_ = true;
  stream_.Read(&in_, &read_);
}

void AgentSession::OnMessage() {
  if (in_.has_register_()) {
    if (session_ != 0) return Finish({grpc::StatusCode::FAILED_PRECONDITION, "Register was sent twice"});
    return OnRegister(in_.register_());
  }
  if (session_ == 0) {
    return Finish({grpc::StatusCode::FAILED_PRECONDITION, "the first message on the stream must be Register"});
  }
  switch (in_.kind_case()) {
    case v1::AgentMessage::kHeartbeat:
      queue_.registry->Heartbeat(name_, session_, in_.heartbeat().tasks_running(), queue_.now());
      queue_.telemetry->HeartbeatReceived();
      return;
    case v1::AgentMessage::kReply: {
      auto it = relays_.find(in_.reply().call_id());
      if (it != relays_.end()) it->second->OnReply(std::move(*in_.mutable_reply()->mutable_message()));
      return;
    }
    case v1::AgentMessage::kEnd: {
      auto it = relays_.find(in_.end().call_id());
      if (it == relays_.end()) return;  // the operator left first
      RelayedCall* call = it->second;
      relays_.erase(it);
      call->OnEnd(grpc::Status(static_cast<grpc::StatusCode>(in_.end().code()), in_.end().message()));
      return;
    }
    case v1::AgentMessage::kUnregister:
      unregistered_ = true;
      queue_.log->Info(fmt::format("agent {} unregisters: {}", name_, in_.unregister().reason()),
                       {{"SLOTH_AGENT", name_}});
      return;
    default: return;  // a newer agent's message: ignored
  }
}

void AgentSession::OnRegister(const v1::Register& hello) {
  const v1::AgentInfo& info = hello.info();
  const std::string& name = info.name();
  if (auto allowed = queue_.access->AuthorizeAgent(PeerCertificateOf(context_), name); !allowed) {
    queue_.telemetry->AuthFailed(allowed.error().reason);
    queue_.log->Log(
        LogLevel::kWarning,
        fmt::format("refused the registration of agent '{}' from {}: {}", name, address_, allowed.error().message),
        {{"SLOTH_AGENT", name}, {"SLOTH_PEER", address_}, {"SLOTH_REASON", allowed.error().reason}},
        message_id::kAccessRefused);
    return Finish(StatusOf(allowed.error()));
  }
  AgentRecord record;
  record.name = name;
  record.version = info.version();
  record.os = info.os();
  record.arch = info.arch();
  record.labels = {hello.labels().begin(), hello.labels().end()};
  record.metrics_url = info.metrics_url();
  record.address = address_;
  record.tasks_running = info.tasks_running();
  auto registered = queue_.registry->Register(std::move(record), queue_.now());
  if (!registered) {
    return Finish({grpc::StatusCode::INVALID_ARGUMENT, "registration refused: " + registered.error().message});
  }
  name_ = name;
  session_ = registered->session;
  if (auto it = queue_.sessions.find(name_); it != queue_.sessions.end()) {
    AgentSession* previous = it->second;
    queue_.sessions.erase(it);
    previous->Close({grpc::StatusCode::ABORTED,
                     fmt::format("replaced by a newer connection of agent '{}' from {}", name_, address_)});
  }
  queue_.sessions.emplace(name_, this);
  v1::MasterMessage reply;
  reply.mutable_registered()->set_heartbeat_interval_ms(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(queue_.registry->timing().heartbeat_interval).count()));
  reply.mutable_registered()->set_master_version(queue_.version);
  Send(std::move(reply));
  queue_.telemetry->AgentRegistered();
  queue_.log->Log(LogLevel::kNotice,
                  fmt::format("agent {} registered from {} (slothd {}, metrics {})", name_, address_, info.version(),
                              info.metrics_url().empty() ? "off" : info.metrics_url()),
                  {{"SLOTH_AGENT", name_}, {"SLOTH_PEER", address_}}, message_id::kAgentRegistered);
}

uint64_t AgentSession::StartRelay(RelayedCall* call, const std::string& method, std::string request,
                                  const std::string& caller, uint64_t timeout_ms) {
  const uint64_t id = queue_.next_call_id++;
  relays_.emplace(id, call);
  v1::MasterMessage message;
  auto* relayed = message.mutable_call();
  relayed->set_call_id(id);
  relayed->set_method(method);
  relayed->set_request(std::move(request));
  relayed->set_caller(caller);
  relayed->set_timeout_ms(timeout_ms);
  Send(std::move(message));
  return id;
}

void AgentSession::Detach(uint64_t call_id, bool cancel_on_agent) {
  if (relays_.erase(call_id) == 0 || !cancel_on_agent) return;
  v1::MasterMessage message;
  message.mutable_cancel()->set_call_id(call_id);
  Send(std::move(message));
}

void AgentSession::Credit(uint64_t call_id, uint64_t bytes) {
  if (relays_.count(call_id) == 0) return;
  v1::MasterMessage message;
  message.mutable_credit()->set_call_id(call_id);
  message.mutable_credit()->set_bytes(bytes);
  Send(std::move(message));
}

void AgentSession::Close(grpc::Status status) {
  Ended();
  Finish(std::move(status));
}

void AgentSession::Send(v1::MasterMessage message) {
  if (finish_started_ || finish_wanted_) return;
  outbox_.push_back(std::move(message));
  if (!writing_) StartWrite();
}

void AgentSession::StartWrite() {
  in_flight_ = std::move(outbox_.front());
  outbox_.pop_front();
  writing_ = true;
  stream_.Write(in_flight_, &written_);
}

void AgentSession::Finish(grpc::Status status) {
  if (finish_started_ || finish_wanted_) return;
  final_status_ = std::move(status);
  outbox_.clear();
  if (writing_) {
    finish_wanted_ = true;  // one send at a time: after the write in flight
  } else {
    StartFinish();
  }
}

void AgentSession::StartFinish() {
  finish_wanted_ = false;
  finish_started_ = true;
  stream_.Finish(final_status_, &finished_tag_);
}

void AgentSession::Ended() {
  if (ended_) return;
  ended_ = true;
  if (session_ == 0) return;
  queue_.registry->Disconnected(name_, session_, unregistered_, queue_.now());
  if (auto it = queue_.sessions.find(name_); it != queue_.sessions.end() && it->second == this) {
    queue_.sessions.erase(it);
  }
  const std::string why = fmt::format("agent '{}' disconnected from the master while the call was running{}", name_,
                                      unregistered_ ? " (it is stopping)" : "");
  std::map<uint64_t, RelayedCall*> relays = std::move(relays_);
  relays_.clear();
  for (auto& [id, call] : relays) call->OnAgentLost(why);
  queue_.log->Info(
      fmt::format("agent {}: stream from {} ended{}", name_, address_, unregistered_ ? " (unregistered)" : ""),
      {{"SLOTH_AGENT", name_}, {"SLOTH_PEER", address_}});
}

}  // namespace sloth
