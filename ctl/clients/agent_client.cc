#include "ctl/clients/agent_client.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>

#include "common/duration.h"
#include "common/unique_fd.h"
#include "proto/grpc_tuning.h"

namespace sloth::ctl {
namespace {

// A plain connect() first: gRPC only says "not connected", errno says why.
Result<void, CallError> ProbeUnixSocket(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty()) return CallError{CallCode::kUnavailable, "empty socket path"};
  if (path.size() >= sizeof address.sun_path) return CallError{CallCode::kUnavailable, "socket path too long"};
  memcpy(address.sun_path, path.data(), path.size());
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return CallError{CallCode::kUnavailable, strerror(errno)};
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const CallCode code = errno == EACCES || errno == EPERM ? CallCode::kPermissionDenied : CallCode::kUnavailable;
    return CallError{code, strerror(errno)};
  }
  return {};
}

// The method of sloth.v1.Agent called `name`, if its request and reply have these types.
const google::protobuf::MethodDescriptor* AgentMethod(std::string_view name, const google::protobuf::Message& request,
                                                      const google::protobuf::Message& reply) {
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(v1::Agent::service_full_name());
  const auto* method = service == nullptr ? nullptr : service->FindMethodByName(std::string(name));
  if (method == nullptr || method->input_type() != request.GetDescriptor() ||
      method->output_type() != reply.GetDescriptor()) {
    return nullptr;
  }
  return method;
}

}  // namespace

AgentClient::AgentClient(std::string socket_path, std::chrono::milliseconds call_timeout)
    : socket_path_(std::move(socket_path)), target_("unix:" + socket_path_), call_timeout_(call_timeout) {}

AgentClient::AgentClient(MasterEndpoint master, std::string agent, std::chrono::milliseconds call_timeout,
                         std::shared_ptr<grpc::Channel> channel)
    : master_(std::move(master)),
      agent_(std::move(agent)),
      target_(MasterTarget(*master_)),
      call_timeout_(call_timeout),
      channel_(std::move(channel)) {}

void AgentClient::Address(grpc::ClientContext& context) const {
  if (!master_) return;
  context.AddMetadata("sloth-agent", agent_);
  AuthorizeCall(context, *master_);
}

Result<void, CallError> AgentClient::Connect(std::chrono::milliseconds timeout) {
  if (master_) {
    if (!channel_) channel_ = DialMaster(*master_);
    stub_ = v1::Agent::NewStub(channel_);
    generic_ =
        std::make_unique<grpc::TemplatedGenericStub<google::protobuf::Message, google::protobuf::Message>>(channel_);
    return {};
  }
  if (auto probed = ProbeUnixSocket(socket_path_); !probed) return probed;
  TurnOffMutexDebugging();
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);  // metrics text and kept output can be large
  channel_ = grpc::CreateCustomChannel(target_, grpc::InsecureChannelCredentials(), arguments);
  // Until ready, or the first failed attempt: connect(2) worked above, so a failure now means
  // slothd closed the connection (it refused this user, or is at its limits: it said why on the
  // connection, which the caller can read). Retrying until the timeout only made that wait.
  const auto deadline = std::chrono::system_clock::now() + timeout;
  for (grpc_connectivity_state state; (state = channel_->GetState(true)) != GRPC_CHANNEL_READY;) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
      return CallError{CallCode::kUnavailable, "the agent closed the connection before gRPC could use it"};
    }
    if (!channel_->WaitForStateChange(state, deadline)) {
      return CallError{CallCode::kUnavailable, fmt::format("no gRPC connection within {}", FormatDuration(timeout))};
    }
  }
  stub_ = v1::Agent::NewStub(channel_);
  generic_ =
      std::make_unique<grpc::TemplatedGenericStub<google::protobuf::Message, google::protobuf::Message>>(channel_);
  return {};
}

Result<void, CallError> AgentClient::Unary(std::string_view method, const google::protobuf::Message& request,
                                           google::protobuf::Message* reply) {
  const auto* descriptor = AgentMethod(method, request, *reply);
  if (descriptor == nullptr) {
    return CallError{CallCode::kFailed, fmt::format("sloth.v1.Agent has no method {} taking {} and giving {}", method,
                                                    request.GetTypeName(), reply->GetTypeName())};
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + call_timeout_);
  Address(context);
  grpc::CompletionQueue queue;
  auto call = generic_->PrepareUnaryCall(&context, fmt::format("/{}/{}", v1::Agent::service_full_name(), method),
                                         request, &queue);
  call->StartCall();
  grpc::Status status;
  call->Finish(reply, &status, nullptr);
  void* tag = nullptr;
  bool ok = false;
  queue.Next(&tag, &ok);  // the one operation: the call's end, whatever it was
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  if (!status.ok()) return CallErrorFromGrpc(status);
  return {};
}

namespace {

// Reads a stream to its result event (the last by contract: no Read round for the end); another
// thread may stop it through `handle`. `start` addresses the call and makes it on the context.
template <class Event, class Start>
Result<void, CallError> FollowStream(RunHandle& handle, Start start,
                                     const std::function<void(const Event&)>& on_event) {
  grpc::ClientContext context;
  handle.Attach([&context] { context.TryCancel(); });
  auto reader = start(&context);
  Event event;
  while (reader->Read(&event)) {
    on_event(event);
    if (event.has_result()) break;
  }
  const grpc::Status status = reader->Finish();
  handle.Detach();
  if (!status.ok()) return CallErrorFromGrpc(status);
  return {};
}

}  // namespace

Result<void, CallError> AgentClient::RunTask(const v1::RunTaskRequest& request, RunHandle& handle,
                                             const std::function<void(const v1::RunTaskEvent&)>& on_event) {
  return FollowStream<v1::RunTaskEvent>(
      handle,
      [&](grpc::ClientContext* context) {
        Address(*context);
        return stub_->RunTask(context, request);
      },
      on_event);
}

Result<void, CallError> AgentClient::RunWorkflow(const v1::RunWorkflowRequest& request, RunHandle& handle,
                                                 const std::function<void(const v1::WorkflowEvent&)>& on_event) {
  return FollowStream<v1::WorkflowEvent>(
      handle,
      [&](grpc::ClientContext* context) {
        Address(*context);
        return stub_->RunWorkflow(context, request);
      },
      on_event);
}

CallError CallErrorFromGrpc(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE: return {CallCode::kUnavailable, status.error_message()};
    case grpc::StatusCode::DEADLINE_EXCEEDED: return {CallCode::kDeadline, "no answer before the deadline (--timeout)"};
    case grpc::StatusCode::INVALID_ARGUMENT: return {CallCode::kInvalidArgument, status.error_message()};
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED: return {CallCode::kPermissionDenied, status.error_message()};
    case grpc::StatusCode::UNIMPLEMENTED:
      return {CallCode::kUnimplemented, "the agent does not implement this call (older slothd?)"};
    case grpc::StatusCode::CANCELLED: return {CallCode::kCancelled, status.error_message()};
    case grpc::StatusCode::NOT_FOUND: return {CallCode::kNotFound, status.error_message()};
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return {CallCode::kResourceExhausted, status.error_message()};
    default: break;
  }
  return {CallCode::kFailed, status.error_message().empty()
                                 ? fmt::format("gRPC status {}", static_cast<int>(status.error_code()))
                                 : status.error_message()};
}

}  // namespace sloth::ctl
