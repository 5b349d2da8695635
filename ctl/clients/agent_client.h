#pragma once
// The agent's gRPC control API (sloth.v1.Agent) over its Unix socket, with a deadline per call.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "ctl/clients/agent_connection.h"
#include "sloth/v1/agent.grpc.pb.h"

namespace sloth::ctl {

// Used from the thread that made it; CancelTask may also be called from a signal-watching
// thread while RunTask streams (gRPC stubs are thread-safe).
class AgentClient final : public AgentConnection {
 public:
  AgentClient(std::string socket_path, std::chrono::milliseconds call_timeout);

  // "unix:/run/slothd/slothd.sock": what slothctl dials, as shown in messages.
  const std::string& target() const override { return target_; }

  // Connects within `timeout`; returns "" on success or why not, with errno's words when the
  // socket itself refused ("No such file or directory", "Permission denied", ...).
  std::string Connect(std::chrono::milliseconds timeout) override;

  grpc::Status GetInfo(v1::AgentInfo* info) override;
  grpc::Status GetHealth(v1::Health* health) override;
  grpc::Status ListTasks(bool include_output, v1::ListTasksResponse* tasks) override;
  grpc::Status CancelTask(const std::string& id, v1::CancelTaskResponse* response) override;
  grpc::Status GetMetrics(v1::Metrics* metrics) override;

  // Runs a task and hands each event to `on_event` as it arrives. No deadline (the task has its
  // own timeout); another thread may context->TryCancel() to abandon the stream.
  grpc::Status RunTask(const v1::RunTaskRequest& request, grpc::ClientContext* context,
                       const std::function<void(const v1::RunTaskEvent&)>& on_event) override;
  void AbandonRunTask(grpc::ClientContext* context) override { context->TryCancel(); }

 private:
  void SetDeadline(grpc::ClientContext* context) const;

  std::string socket_path_;
  std::string target_;
  std::chrono::milliseconds call_timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Agent::Stub> stub_;
};

// "DEADLINE_EXCEEDED: Deadline Exceeded" → a short human phrase for messages.
std::string DescribeStatus(const grpc::Status& status);

}  // namespace sloth::ctl
