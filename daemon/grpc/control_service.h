#pragma once
// sloth.v1.Agent in protobuf terms: requests translated to ControlApi calls and results back,
// nothing else. The unary methods are one table (ListenForUnaryCalls, control_service.cc), a row
// per method; RunTask streams and is served in steps, because the front end (grpc_front_end.cc)
// follows each task on a thread of its own.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "daemon/core/control_api.h"
#include "daemon/grpc/control_socket.h"
#include "sloth/v1/agent.pb.h"

namespace sloth {

struct CallQueue;

// The metadata of a call the master link relays (master_link.cc): the process's relay key, which
// marks it as relayed, and the operator the master authenticated.
inline constexpr const char* kRelayKeyMetadata = "sloth-relay-key";
inline constexpr const char* kRelayedCallerKey = "sloth-relayed-caller";

class ControlService {
 public:
  using CredentialsFn = std::function<std::optional<PeerCredentials>(std::string_view grpc_peer)>;
  using EventSink = std::function<void(const v1::RunTaskEvent&)>;

  // `credentials` finds the SO_PEERCRED of a call's connection from its gRPC peer string.
  ControlService(ControlApi& api, CredentialsFn credentials);

  ControlApi& api() { return api_; }
  // The socket's caller (SO_PEERCRED), or for a call relayed from the master the operator it names.
  Caller CallerOf(const grpc::ServerContext& context) const;
  // A random secret of this process that relayed calls carry (kRelayKeyMetadata).
  const std::string& relay_key() const { return relay_key_; }

  // A task's stream starts with a TaskStarted event (its id, so that the client can cancel it)
  // only if the task is still queued or running this long after it began, or has output before
  // then; a task that ends sooner streams its result alone, which carries the id. Most tasks are
  // short: their stream is one message, not two, and the agent runs about 6 % more of them per
  // second with 4 clients (tests/bench/task_bench.sh). Ctrl-C in slothctl waits this long at
  // most for an id to cancel.
  static constexpr Duration kStartedEventDelay = std::chrono::milliseconds(20);

  // RunTask in three steps: the request checked (INVALID_ARGUMENT with what to fix); the task
  // begun on the receiving thread (admitted, never waiting; refused: the status that ends the
  // stream, RefusalStatus); then spawned and followed to its end on a thread that may wait, the started
  // event (see above) and every output event handed to `send` as they happen. Returns the result
  // event, the stream's last.
  grpc::Status CheckRunTask(const v1::RunTaskRequest& request, TaskSpec* spec) const;
  Result<TaskRunner::Started, grpc::Status> BeginRunTask(const Caller& caller, TaskSpec spec);
  v1::RunTaskEvent CompleteRunTask(TaskRunner::Started started, const EventSink& send);

  // RunWorkflow, on a thread that may wait: the workflow resolved from the request (refused:
  // INVALID_ARGUMENT with file:line:column, or UNAVAILABLE while the agent stops), then run, its
  // events handed to `send` as they happen (from any thread, one at a time). Returns the result
  // event, the stream's last.
  Result<v1::WorkflowEvent, grpc::Status> RunWorkflow(const Caller& caller, const v1::RunWorkflowRequest& request,
                                                      const std::function<void(const v1::WorkflowEvent&)>& send);

 private:
  ControlApi& api_;
  CredentialsFn credentials_;
  const std::string relay_key_;
};

// The table of unary methods: asks the completion queue for the first call of each.
void ListenForUnaryCalls(CallQueue& queue);
// The table of streaming methods (RunTask, RunWorkflow), the same way.
void ListenForStreamingCalls(CallQueue& queue);

// A refused RunTask's status: RESOURCE_EXHAUSTED (queue full), UNAVAILABLE (stopping),
// INVALID_ARGUMENT, PERMISSION_DENIED (a user tasks may not run as), with the reason.
grpc::Status RefusalStatus(const TaskRefusal& refusal);

// Protobuf conversions, exposed for tests.
void ToProto(const TaskResult& result, bool include_output, v1::TaskResult* out);
void ToProto(const AgentInfo& info, v1::AgentInfo* out);
void ToProto(const WorkflowRunResult& run, v1::WorkflowRun* out);  // with its tasks when it has them
void ToProto(const WorkflowRunTask& task, size_t index, v1::WorkflowTask* out);
void ToProto(const WorkflowRunGroup& group, size_t index, v1::WorkflowGroup* out);
WorkflowSource FromProto(const v1::RunWorkflowRequest& request);

}  // namespace sloth
