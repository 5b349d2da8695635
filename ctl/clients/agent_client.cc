#include "ctl/clients/agent_client.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include "common/duration.h"
#include "proto/grpc_tuning.h"

namespace sloth::ctl {
namespace {

// A plain connect() first: gRPC only says "not connected", errno says why.
std::string ProbeUnixSocket(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty()) return "empty socket path";
  if (path.size() >= sizeof address.sun_path) return "socket path too long";
  memcpy(address.sun_path, path.data(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return strerror(errno);
  std::string error;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    error = strerror(errno);
  }
  close(fd);
  return error;
}

}  // namespace

AgentClient::AgentClient(std::string socket_path, std::chrono::milliseconds call_timeout)
    : socket_path_(std::move(socket_path)), target_("unix:" + socket_path_), call_timeout_(call_timeout) {}

std::string AgentClient::Connect(std::chrono::milliseconds timeout) {
  if (std::string error = ProbeUnixSocket(socket_path_); !error.empty()) return error;
  TurnOffMutexDebugging();
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);  // metrics text and kept output can be large
  channel_ = grpc::CreateCustomChannel(target_, grpc::InsecureChannelCredentials(), arguments);
  if (!channel_->WaitForConnected(std::chrono::system_clock::now() + timeout)) {
    return fmt::format("no gRPC connection within {}", FormatDuration(timeout));
  }
  stub_ = v1::Agent::NewStub(channel_);
  return "";
}

void AgentClient::SetDeadline(grpc::ClientContext* context) const {
  context->set_deadline(std::chrono::system_clock::now() + call_timeout_);
}

grpc::Status AgentClient::GetInfo(v1::AgentInfo* info) {
  grpc::ClientContext context;
  SetDeadline(&context);
  return stub_->GetInfo(&context, v1::GetInfoRequest(), info);
}

grpc::Status AgentClient::GetHealth(v1::Health* health) {
  grpc::ClientContext context;
  SetDeadline(&context);
  return stub_->GetHealth(&context, v1::GetHealthRequest(), health);
}

grpc::Status AgentClient::ListTasks(bool include_output, v1::ListTasksResponse* tasks) {
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::ListTasksRequest request;
  request.set_include_output(include_output);
  return stub_->ListTasks(&context, request, tasks);
}

grpc::Status AgentClient::CancelTask(const std::string& id, v1::CancelTaskResponse* response) {
  grpc::ClientContext context;
  SetDeadline(&context);
  v1::CancelTaskRequest request;
  request.set_id(id);
  return stub_->CancelTask(&context, request, response);
}

grpc::Status AgentClient::GetMetrics(v1::Metrics* metrics) {
  grpc::ClientContext context;
  SetDeadline(&context);
  return stub_->GetMetrics(&context, v1::GetMetricsRequest(), metrics);
}

grpc::Status AgentClient::RunTask(const v1::RunTaskRequest& request, grpc::ClientContext* context,
                                  const std::function<void(const v1::RunTaskEvent&)>& on_event) {
  auto reader = stub_->RunTask(context, request);
  v1::RunTaskEvent event;
  while (reader->Read(&event)) {
    on_event(event);
    if (event.has_result()) break;  // the last event by contract: no Read round for the end
  }
  return reader->Finish();
}

std::string DescribeStatus(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "no answer before the deadline (--timeout)";
    case grpc::StatusCode::UNIMPLEMENTED: return "the agent does not implement this call (older slothd?)";
    default: break;
  }
  return status.error_message().empty() ? fmt::format("gRPC status {}", static_cast<int>(status.error_code()))
                                        : status.error_message();
}

}  // namespace sloth::ctl
