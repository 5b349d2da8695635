#pragma once
// The read-only telemetry HTTP server (libmicrohttpd): /metrics, /health, /info and /, and on the
// master /sd (Prometheus HTTP service discovery).
// It only reads through the callbacks it is given; it never changes the core.
// Threads: MHD's pool threads call the handlers; Start/Shutdown belong to the main thread.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/duration.h"
#include "common/log.h"
#include "common/unique_fd.h"
#include "daemon/core/telemetry/telemetry.h"
#include "daemon/http/request_deadlines.h"
#include "daemon/http/web_config_files.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace sloth {

class WebAccess;

class MetricsHttpServer {
 public:
  struct Limits {
    uint32_t max_connections = 1024;
    uint32_t max_connections_per_ip = 16;
    Duration connection_timeout = std::chrono::seconds(10);  // inactivity
    Duration request_timeout = std::chrono::seconds(5);      // a whole request head must arrive within it
    uint32_t max_header_bytes = 16384;
    uint32_t threads = 2;
  };
  struct Pages {
    std::function<MetricsBody(bool gzip, ExpositionFormat format)> metrics;
    std::function<std::optional<std::string>()> unhealthy_reason;  // nullopt: healthy
    std::function<std::string()> info_json;
    std::function<std::string()> service_discovery_json;  // set: GET /sd (the master)
  };

  // Who may connect and ask (web-config: TLS, client certificates, basic auth, headers).
  struct Access {
    std::shared_ptr<const LoadedWebConfig> web;  // null: plain HTTP, open to all
    bool health_without_auth = false;            // /health answers without basic auth (probes)
  };

  // Serves on an already listening socket (ours or systemd's). Throws std::runtime_error.
  MetricsHttpServer(UniqueFd listen_fd, Limits limits, Pages pages, Logger& log, Access access);
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  uint16_t port() const { return port_; }

  // Stops accepting and gives back the listening socket (so a reconfigured server can take it
  // over without a gap); requests in flight continue. Empty if already stopped. Not to be closed
  // before this server's Shutdown: MHD's thread may still use the descriptor until then.
  UniqueFd StopAccepting();
  // Stops accepting, lets in-flight requests finish for up to `grace`, then closes everything.
  void Shutdown(Duration grace);

 private:
  friend struct MhdCallbacks;  // libmicrohttpd's C callbacks, defined in the .cc
  int Respond(MHD_Connection* connection, const char* url, const char* method);

  Pages pages_;
  Logger& log_;
  RequestDeadlines deadlines_;
  std::unique_ptr<WebAccess> access_;  // outlives daemon_: MHD's threads call it
  uint16_t port_ = 0;
  MHD_Daemon* daemon_ = nullptr;
  bool accepting_ = true;

  std::mutex in_flight_mutex_;
  std::condition_variable in_flight_done_;
  uint64_t in_flight_ = 0;
};

}  // namespace sloth
