#pragma once
// The agent's gRPC control API (sloth.v1.Agent) over its Unix socket, or through the master
// (which relays every method to the agent named in the call's metadata), with a deadline per
// call. gRPC's status codes become CallErrors here and nowhere else.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "ctl/clients/agent_connection.h"
#include "ctl/clients/master_endpoint.h"
#include "sloth/v1/agent.grpc.pb.h"

namespace sloth::ctl {

// Used from the thread that made it; CancelTask may also be called from a signal-watching
// thread while RunTask streams (gRPC stubs are thread-safe).
class AgentClient final : public AgentConnection {
 public:
  AgentClient(std::string socket_path, std::chrono::milliseconds call_timeout);
  // `agent` through the master: every call names it, and carries the operator's token if any.
  // `channel`: a connection to the master to share (DialMaster's); null: one of its own.
  AgentClient(MasterEndpoint master, std::string agent, std::chrono::milliseconds call_timeout,
              std::shared_ptr<grpc::Channel> channel = nullptr);

  // "unix:/run/slothd/slothd.sock", "master 10.0.0.5:50053".
  const std::string& target() const override { return target_; }
  // Probes the socket with a plain connect() first: gRPC only says "not connected", errno says
  // why. Through the master, the first call says what went wrong (TLS, credentials, no agent).
  Result<void, CallError> Connect(std::chrono::milliseconds timeout) override;
  // No deadline (the task has its own timeout); abandoning cancels the stream.
  Result<void, CallError> RunTask(const v1::RunTaskRequest& request, RunHandle& handle,
                                  const std::function<void(const v1::RunTaskEvent&)>& on_event) override;
  Result<void, CallError> RunWorkflow(const v1::RunWorkflowRequest& request, RunHandle& handle,
                                      const std::function<void(const v1::WorkflowEvent&)>& on_event) override;

 protected:
  // Any unary method of sloth.v1.Agent, by name, through gRPC's generic stub.
  Result<void, CallError> Unary(std::string_view method, const google::protobuf::Message& request,
                                google::protobuf::Message* reply) override;

 private:
  // The deadline-free part of every call's context: which agent, and the operator's token.
  void Address(grpc::ClientContext& context) const;

  std::optional<MasterEndpoint> master_;
  std::string agent_;  // through the master: the agent's name
  std::string socket_path_;
  std::string target_;
  std::chrono::milliseconds call_timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Agent::Stub> stub_;
  std::unique_ptr<grpc::TemplatedGenericStub<google::protobuf::Message, google::protobuf::Message>> generic_;
};

// A gRPC status as slothctl's CallError, with a short human phrase for the codes users meet.
CallError CallErrorFromGrpc(const grpc::Status& status);

}  // namespace sloth::ctl
