#pragma once
// The agent over D-Bus (`slothctl --via dbus`): org.slothrunner.Agent1 on the system bus
// (DBUS_SYSTEM_BUS_ADDRESS when set). D-Bus has no streams: RunTask returns an id, the
// TaskFinished signal says when it ended, and GetTask then gives the kept output, which is
// handed on as one output event before the result.
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "ctl/clients/agent_connection.h"

namespace sdbus {
class IProxy;
}

namespace sloth::ctl {

// Thread-compatible like AgentClient; AbandonRunTask and CancelTask may come from the
// interrupt-watching thread while RunTask waits.
class DbusAgentClient final : public AgentConnection {
 public:
  explicit DbusAgentClient(std::chrono::milliseconds call_timeout);
  ~DbusAgentClient() override;

  const std::string& target() const override { return target_; }
  std::string Connect(std::chrono::milliseconds timeout) override;
  grpc::Status GetInfo(v1::AgentInfo* info) override;
  grpc::Status GetHealth(v1::Health* health) override;
  grpc::Status ListTasks(bool include_output, v1::ListTasksResponse* tasks) override;
  grpc::Status CancelTask(const std::string& id, v1::CancelTaskResponse* response) override;
  grpc::Status GetMetrics(v1::Metrics* metrics) override;
  grpc::Status RunTask(const v1::RunTaskRequest& request, grpc::ClientContext* context,
                       const std::function<void(const v1::RunTaskEvent&)>& on_event) override;
  void AbandonRunTask(grpc::ClientContext* context) override;

 private:
  std::string target_ = "dbus:system org.slothrunner.Agent1";
  std::chrono::milliseconds call_timeout_;
  std::unique_ptr<sdbus::IProxy> proxy_;
  std::mutex mutex_;
  std::condition_variable changed_;
  // Final statuses from TaskFinished, by task id: a signal may come before RunTask's reply.
  std::map<std::string, std::string> finished_;
  bool abandoned_ = false;
};

}  // namespace sloth::ctl
