#pragma once
// Reads a web-config file and the files it names (certificate, key, client CAs) and checks them
// with GnuTLS, so that a bad file is refused before anything is switched (at start: exit 2; on
// reload: the running configuration stays). The contents are kept: a server started from the
// result never reads a file again, and a reload that reads a renewed certificate swaps it in.
#include <memory>
#include <string>

#include "common/result.h"
#include "daemon/core/config.h"
#include "daemon/http/web_config.h"

namespace sloth {

struct LoadedWebConfig {
  std::string path;  // the web-config file
  WebConfig config;
  std::string cert_pem;  // empty without TLS
  std::string key_pem;
  std::string client_ca_pem;  // empty without client_ca_file
  bool operator==(const LoadedWebConfig&) const = default;
};

// Errors name the file, the line and the key: "web.yml:4:14: tls_server_config.cert_file:
// cannot read /etc/sloth/slothd.crt: No such file or directory".
Result<std::shared_ptr<const LoadedWebConfig>, ConfigError> LoadWebConfig(const std::string& path);

}  // namespace sloth
