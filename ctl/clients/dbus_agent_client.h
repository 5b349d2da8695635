#pragma once
// The agent over D-Bus (`slothctl --via dbus`): org.slothrunner.Agent1 on the system bus
// (DBUS_SYSTEM_BUS_ADDRESS when set). Each unary call of sloth.v1.Agent is a row that maps it to
// the bus interface; D-Bus errors become CallErrors here and nowhere else. D-Bus has no streams:
// RunTask returns an id, the TaskFinished signal says when it ended, and GetTask then gives the
// kept output, which is handed on as one output event before the result. RunWorkflow likewise:
// the run's id, its signals as events, and GetWorkflowRun for the run as it starts and ends.
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "ctl/clients/agent_connection.h"

namespace sdbus {
class IProxy;
}

namespace sloth::ctl {

// Thread-compatible like AgentClient; CancelTask and RunHandle::Abandon may come from the
// interrupt-watching thread while RunTask waits.
class DbusAgentClient final : public AgentConnection {
 public:
  explicit DbusAgentClient(std::chrono::milliseconds call_timeout);
  ~DbusAgentClient() override;

  const std::string& target() const override { return target_; }
  Result<void, CallError> Connect(std::chrono::milliseconds timeout) override;
  Result<void, CallError> RunTask(const v1::RunTaskRequest& request, RunHandle& handle,
                                  const std::function<void(const v1::RunTaskEvent&)>& on_event) override;
  Result<void, CallError> RunWorkflow(const v1::RunWorkflowRequest& request, RunHandle& handle,
                                      const std::function<void(const v1::WorkflowEvent&)>& on_event) override;

 protected:
  Result<void, CallError> Unary(std::string_view method, const google::protobuf::Message& request,
                                google::protobuf::Message* reply) override;

 private:
  // From the bus's thread: a workflow signal, kept while a RunWorkflow follows a run.
  void KeepRunEvent(const std::string& run_id, v1::WorkflowEvent event);
  // GetWorkflowRun; throws sdbus::Error.
  void FetchRun(const std::string& id, v1::WorkflowRun* run);

  std::string target_ = "dbus:system org.slothrunner.Agent1";
  std::chrono::milliseconds call_timeout_;
  std::unique_ptr<sdbus::IProxy> proxy_;
  std::mutex mutex_;
  std::condition_variable changed_;
  // Final statuses from TaskFinished, by task id: a signal may come before RunTask's reply.
  std::map<std::string, std::string> finished_;
  // The workflow signals, while a RunWorkflow follows a run: they may come before its reply,
  // so all are kept (with their run's id) until it knows which run is its own.
  bool following_run_ = false;
  std::deque<std::pair<std::string, v1::WorkflowEvent>> run_events_;  // a result event: WorkflowFinished
};

// A D-Bus error (its name and message) as slothctl's CallError.
CallError CallErrorFromDbus(std::string_view name, std::string_view message);

}  // namespace sloth::ctl
