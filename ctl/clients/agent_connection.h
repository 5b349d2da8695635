#pragma once
// What slothctl asks of an agent, whatever carries it: gRPC over the control socket
// (AgentClient) or D-Bus on the system bus (DbusAgentClient, `--via dbus`). Both speak the
// sloth.v1 message types, so the commands have one code path.
#include <chrono>
#include <functional>
#include <string>

#include <grpcpp/grpcpp.h>

#include "sloth/v1/agent.grpc.pb.h"

namespace sloth::ctl {

class AgentConnection {
 public:
  virtual ~AgentConnection() = default;

  // What slothctl dials, as shown in messages ("unix:/run/slothd/slothd.sock", "dbus:system").
  virtual const std::string& target() const = 0;
  // Connects within `timeout`; "" on success, else why not.
  virtual std::string Connect(std::chrono::milliseconds timeout) = 0;

  virtual grpc::Status GetInfo(v1::AgentInfo* info) = 0;
  virtual grpc::Status GetHealth(v1::Health* health) = 0;
  virtual grpc::Status ListTasks(bool include_output, v1::ListTasksResponse* tasks) = 0;
  virtual grpc::Status CancelTask(const std::string& id, v1::CancelTaskResponse* response) = 0;
  virtual grpc::Status GetMetrics(v1::Metrics* metrics) = 0;

  // Runs a task and hands each event (started, output, result) to `on_event` as it arrives.
  // Another thread may AbandonRunTask(context) to stop waiting.
  virtual grpc::Status RunTask(const v1::RunTaskRequest& request, grpc::ClientContext* context,
                               const std::function<void(const v1::RunTaskEvent&)>& on_event) = 0;
  virtual void AbandonRunTask(grpc::ClientContext* context) = 0;
};

}  // namespace sloth::ctl
