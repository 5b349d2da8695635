#pragma once
// slothd --role master (doc/fleet.md): the gRPC side from its module (slothd-master.so: mutual
// TLS, the registry, the relay to agents) and the HTTP side here (/metrics, /health, /info and
// /sd for Prometheus's service discovery), built from a Config and stopped.
// Threads: constructed, reloaded and stopped by the main thread; the parts run their own.
#include <atomic>
#include <memory>
#include <string>

#include "common/log.h"
#include "common/result.h"
#include "daemon/agent.h"
#include "daemon/core/config.h"
#include "daemon/core/control_api.h"
#include "daemon/http/metrics_http_server.h"
#include "daemon/master/master_front_end.h"

namespace sloth {

class Master {
 public:
  // Throws AgentStartError (a file that cannot be read, a port in use, the module missing).
  Master(const Config& config, const std::string& loaded_from, Logger& log, Agent::ConfigSource source);
  ~Master();

  // SIGHUP: the log level changes now; [master] and [telemetry] at the next start (said in the
  // report). A bad file changes nothing.
  Result<ReloadReport> ReloadConfiguration();
  // Closes the HTTP side, then every agent's stream and operator's call.
  void Stop();
  std::string StatusLine() const;

 private:
  Logger& log_;
  const Agent::ConfigSource config_source_;
  Config config_;
  std::string state_dir_;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<MasterFrontEnd> front_end_;
  std::unique_ptr<MetricsHttpServer> http_;
};

}  // namespace sloth
