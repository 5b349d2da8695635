#pragma once
// The seam between slothd --role master and its gRPC side, which lives in a module
// (slothd-master.so) with the registry's store and the fleet's core: an agent loads none of it,
// nor SQLite or the master's TLS setup. No gRPC type crosses this header.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/duration.h"
#include "common/log.h"
#include "common/result.h"
#include "daemon/core/fleet/fleet_registry.h"
#include "daemon/core/telemetry/telemetry.h"

namespace sloth {

// What the module needs, with the files already read (so their errors name the config key).
struct MasterSettings {
  std::string address;  // listen address ("0.0.0.0", "::")
  uint16_t port = 0;    // 0: any free port
  bool insecure = false;
  std::string cert_pem, key_pem, client_ca_pem;  // empty when insecure
  std::vector<std::string> operators;
  std::string tokens_text;    // the tokens file's content ("" when none)
  std::string tokens_source;  // its path, for errors
  std::string registry_path;  // the SQLite file
  FleetTiming timing;
  AgentIdentity identity;  // the master's own version, for Registered and sloth_build_info
};

class MasterFrontEnd {
 public:
  virtual ~MasterFrontEnd() = default;
  // The port it listens on (the chosen one when configured 0).
  virtual uint16_t port() const = 0;
  // GET /sd: Prometheus HTTP service discovery. Any thread.
  virtual std::string ServiceDiscoveryJson() = 0;
  // GET /metrics, in the format the scraper asked for. Any thread.
  virtual std::string MetricsText(ExpositionFormat format) = 0;
  // GET /info. Any thread.
  virtual std::string InfoJson() = 0;
  // "master: 3 agents up, 1 down, 0 gone" for STATUS= and logs. Any thread.
  virtual std::string StatusLine() = 0;
  // Stops accepting, ends every stream and call (waiting up to `grace`), and stops its threads.
  // Main thread; idempotent.
  virtual void Shutdown(Duration grace) = 0;
};

// The module's entry point (extern "C"): listening and serving, or why not (a port in use, a
// bad certificate, a registry that cannot be opened).
using CreateMasterFrontEndFn = Result<std::unique_ptr<MasterFrontEnd>> (*)(const MasterSettings* settings, Logger* log);
inline constexpr const char* kCreateMasterFrontEndSymbol = "sloth_create_master_front_end";
inline constexpr const char* kMasterModuleFileName = "slothd-master.so";

}  // namespace sloth
