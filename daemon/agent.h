#pragma once
// The running agent: the core (telemetry, task runner, control dispatch) and its adapters
// (control socket, metrics HTTP), built from a Config, partly rebuilt on reload, and stopped.
// Threads: constructed and stopped by the main thread, reloaded from any (SIGHUP on the main
// thread, a control call's Reload on a front end's); the parts it owns run their
// own threads and read the configuration through current_config().
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "common/log.h"
#include "daemon/core/config.h"
#include "daemon/core/control_api.h"
#include "daemon/core/tasks/task_runner.h"
#include "daemon/core/tasks/task_starter.h"
#include "daemon/core/tasks/transient_units.h"
#include "daemon/core/telemetry/telemetry.h"
#include "daemon/core/workflow_runs/workflow_runs.h"
#include "daemon/dbus/dbus_front_end.h"
#include "daemon/grpc/control_server.h"
#include "daemon/http/metrics_http_server.h"
#include "daemon/systemd/listen_fds.h"
#include "daemon/systemd/notifier.h"

namespace sloth {

// The agent could not start; the message says what and what to do.
struct AgentStartError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The agent could not start because a file its configuration names is bad (the web-config):
// a configuration error (exit 2), not a resource one.
struct AgentConfigError : AgentStartError {
  using AgentStartError::AgentStartError;
};

class Agent {
 public:
  // Reads the configuration again the way the agent was started (its file and flags), for a reload.
  using ConfigSource = std::function<std::variant<Config, ConfigError>(std::string* loaded_from)>;

  Agent(Config config, std::string loaded_from, Logger& log, PassedSockets passed, ConfigSource source,
        SystemdNotifier& notifier);
  ~Agent();

  // Applies `next` atomically: new listeners are bound first, and only if all succeed is
  // anything switched (the old listener's socket is handed over when the address is the same,
  // so no connection is refused in between); running tasks are untouched. Returns what could not
  // change now (settings applied at the next start), or why nothing changed. Any thread; one
  // reload at a time, none once Stop() has begun.
  Result<std::vector<std::string>> Reload(const Config& next, const std::string& loaded_from);

  // SIGHUP and the control calls' Reload: re-reads the configuration from its source and applies
  // it (Reload), with systemd told (RELOADING=1, then READY=1), the outcome logged and a failure
  // counted; a bad file leaves everything as it runs. Any thread.
  Result<ReloadReport> ReloadConfiguration();

  // Stops accepting, then cancels running tasks (or, with tasks.on_stop = "drain", lets them
  // finish for up to tasks.drain_timeout first), then closes the servers.
  void Stop();

  // Counts an error in sloth_errors_total{type}.
  void RecordError(std::string_view type) { telemetry_.ErrorOccurred(type); }
  // "agent NAME: N tasks running" — for STATUS= and logs.
  std::string StatusLine() const;
  // Called (on the task's thread) whenever a task is queued, starts or finishes.
  void set_on_task_change(std::function<void(const TaskResult&)> observer);

  std::shared_ptr<const Config> current_config() const;

 private:
  // Unit mode where it can be had (and [tasks] isolation allows), process mode otherwise; says
  // which at start, with the limits the host cannot enforce. Throws AgentStartError when unit
  // mode is required and cannot be had.
  std::unique_ptr<TaskStarter> ChooseStarter(const Config& config);
  AgentInfo Info() const;
  std::optional<std::string> UnhealthyReason() const;
  std::unique_ptr<MetricsHttpServer> StartHttp(UniqueFd fd, const TelemetryConfig& t);
  // The stream to the master ([agent] master), its files read and checked, not started yet.
  Result<std::unique_ptr<MasterLink>> PrepareMasterLink(const AgentConfig& a);
  void OnTaskChange(const TaskResult& task);

  Logger& log_;
  const ConfigSource config_source_;
  SystemdNotifier& notifier_;
  mutable std::mutex config_mutex_;
  std::shared_ptr<const Config> config_;
  std::string metrics_url_;  // "" when telemetry is off; guarded by config_mutex_ (reload rewrites it)
  std::atomic<bool> stopping_{false};
  bool control_passed_ = false;  // the control socket came from systemd: its path is not ours
  bool metrics_passed_ = false;
  std::shared_ptr<const LoadedWebConfig> web_;  // what http_ serves with; null: plain HTTP

  Telemetry telemetry_;
  std::mutex reload_mutex_;  // one Reload at a time, none before the constructor is done or after Stop() began
  bool started_ = false;     // guarded by reload_mutex_
  std::mutex observer_mutex_;
  std::function<void(const TaskResult&)> on_task_change_;
  // Declared before runner_ so it outlives the task threads that call OnTaskChange; null when
  // the system bus or the name was not available.
  std::unique_ptr<DbusFrontEnd> dbus_;
  // Where tasks run (unit or process mode), chosen at start; both outlive runner_.
  std::unique_ptr<TransientUnits> units_;
  std::unique_ptr<TaskStarter> starter_;
  TaskRunner runner_;
  WorkflowRuns workflows_;
  ControlApi control_api_;
  HeldLockFile control_lock_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<MetricsHttpServer> http_;
  // After control_: shut down before the front end whose server serves its relayed calls.
  // Replaced by a reload (under reload_mutex_) when the master's settings change.
  std::unique_ptr<MasterLink> master_link_;
};

}  // namespace sloth
