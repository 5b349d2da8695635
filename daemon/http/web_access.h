#pragma once
// Who may talk to the telemetry endpoint, per its web-config: TLS (with the client-certificate
// policy of client_auth_type checked during the handshake), basic auth on every path (/health
// too unless `[telemetry] health_without_auth`), and the configured response headers.
// Threads: built and wired by the thread that starts the server; then MHD's threads call it.
#include <microhttpd.h>

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "daemon/http/basic_auth.h"
#include "daemon/http/web_config_files.h"

namespace sloth {

class WebAccess {
 public:
  // `web` null: plain HTTP, no authentication, no extra headers.
  WebAccess(std::shared_ptr<const LoadedWebConfig> web, bool health_without_auth);

  // Adds MHD_USE_TLS and the TLS options (certificate, key, client CAs, priorities).
  // The option strings stay valid as long as this object.
  void AddMhdOptions(std::vector<MHD_OptionItem>* options, unsigned* flags);

  // nullopt: the request may go on; otherwise it was refused (401 queued) and this is MHD's result.
  std::optional<MHD_Result> RefuseUnauthorized(MHD_Connection* connection, std::string_view path);

  // Adds the web-config's headers to `response` (every response goes through here).
  static void AddHeaders(MHD_Connection* connection, MHD_Response* response);

  bool tls() const { return web_ && web_->config.tls; }

  // A connection started: remembers this access policy on it and sets up its TLS session's
  // client-certificate request. MHD keeps one NOTIFY_CONNECTION callback, so the server's own
  // callback calls this.
  void ConnectionStarted(MHD_Connection* connection, void** socket_context);

 private:
  std::shared_ptr<const LoadedWebConfig> web_;
  bool health_without_auth_;
  std::unique_ptr<BasicAuthCheck> auth_;  // null: no basic_auth_users
};

}  // namespace sloth
