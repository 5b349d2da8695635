#pragma once
// What slothctl asks of an agent, whatever carries it: gRPC over the control socket or through
// the master (AgentClient), or D-Bus on the system bus (DbusAgentClient, `--via dbus`). The calls take and give
// sloth.v1 messages, plain data, and fail with CallError, slothctl's own type: what gRPC or sd-bus said is translated
// inside those two clients and nowhere else, so the commands have one code path.
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "common/result.h"
#include "sloth/v1/agent.pb.h"

namespace sloth::ctl {

// Why a call failed, in the terms the commands decide on.
enum class CallCode {
  kUnavailable,        // no agent there, or it went away (exit 69)
  kNotFound,           // the master knows no agent by that name (exit 69)
  kDeadline,           // no answer before --timeout (exit 69)
  kInvalidArgument,    // the agent refused the request as malformed
  kPermissionDenied,   // the socket's mode or the bus policy said no; or a task's user is not allowed
  kResourceExhausted,  // the agent is at capacity (a task refused: its queue is full)
  kUnimplemented,      // an agent too old for the call
  kCancelled,          // slothctl stopped waiting
  kFailed,             // anything else
};

struct CallError {
  CallCode code = CallCode::kFailed;
  std::string message;  // the agent's or the transport's words
};

template <class T>
using CallResult = Result<T, CallError>;

// A RunTask in progress, as the command holds it: another thread may Abandon() it, and the call
// then stops waiting (the task runs on unless it was cancelled). What abandoning means for a
// transport is attached by the client that runs the call.
// Thread-safe.
class RunHandle {
 public:
  void Abandon();
  bool abandoned() const;

  // For clients, while their RunTask runs: `abandon` is called on Abandon() (at once if that came
  // first), under the handle's lock, so Detach() returns only once no call of it is running.
  void Attach(std::function<void()> abandon);
  void Detach();

 private:
  mutable std::mutex mutex_;
  bool abandoned_ = false;
  std::function<void()> abandon_;
};

class AgentConnection {
 public:
  virtual ~AgentConnection() = default;

  // What slothctl dials, as shown in messages ("unix:/run/slothd/slothd.sock", "dbus:system ...").
  virtual const std::string& target() const = 0;
  // Connects within `timeout`; the failure says why (errno's words when the socket refused).
  virtual Result<void, CallError> Connect(std::chrono::milliseconds timeout) = 0;

  // The unary calls of sloth.v1.Agent, a line each: a new call is a line here and, on D-Bus, a row
  // in dbus_agent_client.cc (gRPC serves any method by its name).
  CallResult<v1::AgentInfo> GetInfo() { return Call<v1::AgentInfo>("GetInfo", v1::GetInfoRequest()); }
  CallResult<v1::Health> GetHealth() { return Call<v1::Health>("GetHealth", v1::GetHealthRequest()); }
  CallResult<v1::ListTasksResponse> ListTasks(bool include_output) {
    v1::ListTasksRequest request;
    request.set_include_output(include_output);
    return Call<v1::ListTasksResponse>("ListTasks", request);
  }
  CallResult<v1::CancelTaskResponse> CancelTask(const std::string& id) {
    v1::CancelTaskRequest request;
    request.set_id(id);
    return Call<v1::CancelTaskResponse>("CancelTask", request);
  }
  CallResult<v1::Metrics> GetMetrics() { return Call<v1::Metrics>("GetMetrics", v1::GetMetricsRequest()); }
  CallResult<v1::ReloadResponse> Reload() { return Call<v1::ReloadResponse>("Reload", v1::ReloadRequest()); }

  // Runs a task and hands each event (started, output, result) to `on_event` as it arrives, until
  // the result; `handle` lets another thread stop waiting.
  virtual Result<void, CallError> RunTask(const v1::RunTaskRequest& request, RunHandle& handle,
                                          const std::function<void(const v1::RunTaskEvent&)>& on_event) = 0;
  // Runs a workflow and hands each event (started, task and group changes, result) to `on_event`
  // as it arrives, until the result; `handle` lets another thread stop waiting (the run goes on
  // unless it was cancelled).
  virtual Result<void, CallError> RunWorkflow(const v1::RunWorkflowRequest& request, RunHandle& handle,
                                              const std::function<void(const v1::WorkflowEvent&)>& on_event) = 0;

 protected:
  // One request, one reply: `method` is the sloth.v1.Agent method's name ("GetInfo").
  virtual Result<void, CallError> Unary(std::string_view method, const google::protobuf::Message& request,
                                        google::protobuf::Message* reply) = 0;

 private:
  template <class Reply>
  CallResult<Reply> Call(std::string_view method, const google::protobuf::Message& request) {
    Reply reply;
    if (auto done = Unary(method, request, &reply); !done) return done.error();
    return reply;
  }
};

}  // namespace sloth::ctl
