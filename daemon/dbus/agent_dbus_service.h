#pragma once
// The D-Bus front end (doc/ARCHITECTURE.md §4): owns org.slothrunner.Agent1 on the system
// bus, exports /org/slothrunner/Agent1 (proto/org.slothrunner.Agent1.xml) and translates its
// calls to ControlApi, the one dispatch. It holds no logic of its own.
// Threads: constructed, shut down and destroyed by the agent's main thread; method calls and
// property reads run on the bus thread it starts; OnTaskChange comes from task threads.
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "common/log.h"
#include "daemon/core/control_api.h"
#include "daemon/core/tasks/task.h"
#include "daemon/core/workflow_runs/workflow_run.h"

namespace sdbus {
class IConnection;
}

namespace sloth {

// The bus or the name could not be had; the message says which, why and what to do. The
// agent logs it and runs without D-Bus.
struct DbusUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class AgentDbusService {
 public:
  static constexpr const char* kBusName = "org.slothrunner.Agent1";
  static constexpr const char* kObjectPath = "/org/slothrunner/Agent1";

  // Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS when set), exports the object, requests
  // kBusName and starts the bus thread. Throws DbusUnavailable.
  AgentDbusService(ControlApi& api, Logger& log);
  // The same on a connection the caller made (another bus, a test's).
  AgentDbusService(ControlApi& api, Logger& log, std::unique_ptr<sdbus::IConnection> bus);
  AgentDbusService(const AgentDbusService&) = delete;
  AgentDbusService& operator=(const AgentDbusService&) = delete;
  ~AgentDbusService();  // Shutdown()

  // Emits TaskFinished for a finished task and PropertiesChanged(TasksRunning) for every change.
  // Any thread; a no-op after Shutdown().
  void OnTaskChange(const TaskResult& task);
  // Emits WorkflowTaskChanged / WorkflowGroupChanged, and WorkflowFinished, for the runs started
  // over the bus. Any thread; no-op after Shutdown().
  void OnWorkflowEvent(const WorkflowEvent& event);
  void OnWorkflowEnd(const WorkflowRunResult& run);

  // Releases the name, stops the bus thread (waiting for a call in progress) and ignores
  // OnTaskChange from then on. Idempotent; main thread.
  void Shutdown();

 private:
  class Object;
  // Runs `emit` (which sends signals) unless shut down; `what` names it in the warning if it fails.
  template <typename F>
  void Emit(std::string_view what, F&& emit);

  Logger& log_;
  std::unique_ptr<sdbus::IConnection> bus_;
  std::unique_ptr<Object> object_;
  // OnTaskChange against Shutdown. Not held while emitting: the bus library holds its own lock
  // while a handler runs, and a handler's StartTask calls OnTaskChange on the bus thread.
  std::mutex state_mutex_;
  std::condition_variable emitters_done_;
  bool shut_down_ = false;  // guarded by state_mutex_
  int emitting_ = 0;        // Emit calls in progress; guarded by state_mutex_
};

}  // namespace sloth
