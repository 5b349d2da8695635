#pragma once
// sloth.v1.Agent over gRPC: translates protobuf <-> core types and calls ControlApi; nothing else.
// Threads: gRPC's sync server threads call the handlers concurrently.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/core/control_api.h"
#include "daemon/grpc/control_socket.h"
#include "sloth/v1/agent.grpc.pb.h"

namespace sloth {

class ControlService final : public sloth::v1::Agent::Service {
 public:
  // `credentials` finds the SO_PEERCRED of a call's connection from its gRPC peer string.
  ControlService(ControlApi& api, std::function<std::optional<PeerCredentials>(std::string_view)> credentials);

  grpc::Status GetInfo(grpc::ServerContext* context, const v1::GetInfoRequest* request, v1::AgentInfo* reply) override;
  grpc::Status GetHealth(grpc::ServerContext* context, const v1::GetHealthRequest* request,
                         v1::Health* reply) override;
  grpc::Status RunTask(grpc::ServerContext* context, const v1::RunTaskRequest* request,
                       grpc::ServerWriter<v1::RunTaskEvent>* writer) override;
  grpc::Status ListTasks(grpc::ServerContext* context, const v1::ListTasksRequest* request,
                         v1::ListTasksResponse* reply) override;
  grpc::Status CancelTask(grpc::ServerContext* context, const v1::CancelTaskRequest* request,
                          v1::CancelTaskResponse* reply) override;
  grpc::Status GetMetrics(grpc::ServerContext* context, const v1::GetMetricsRequest* request,
                          v1::Metrics* reply) override;

 private:
  Caller CallerOf(const grpc::ServerContext* context) const;

  ControlApi& api_;
  std::function<std::optional<PeerCredentials>(std::string_view)> credentials_;
};

// Protobuf conversions, exposed for tests.
void ToProto(const TaskResult& result, bool include_output, v1::TaskResult* out);
void ToProto(const AgentInfo& info, v1::AgentInfo* out);

}  // namespace sloth
