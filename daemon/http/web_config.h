#pragma once
// The web-config file of Prometheus exporters (exporter-toolkit's format, `--web.config.file`):
// TLS, client certificates, bcrypt basic auth and extra response headers. Pure: the YAML text
// in, the checked settings or the refused key out; reading the files it names is
// web_config_files.h's job. Keys are those of exporter-toolkit 0.8 (what `promtool check
// web-config` of Debian 12's Prometheus accepts); see doc/web-config.md.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace sloth {

// exporter-toolkit's client_auth_type, with Go's crypto/tls meanings.
enum class ClientAuth {
  kNoClientCert,                // none asked for
  kRequestClientCert,           // asked for, not required, not verified
  kRequireAnyClientCert,        // required, not verified
  kVerifyClientCertIfGiven,     // not required; verified against client_ca_file when given
  kRequireAndVerifyClientCert,  // required and verified against client_ca_file
};

enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

struct TlsServerSettings {
  std::string cert_file;  // as written: relative paths are relative to the web-config file
  std::string key_file;
  std::string client_ca_file;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  std::vector<std::string> cipher_suites;      // Go's names; empty: GnuTLS's defaults
  std::vector<std::string> curve_preferences;  // Go's names; empty: GnuTLS's defaults
  bool prefer_server_cipher_suites = true;
  std::string gnutls_priorities;  // the GnuTLS priority string the settings above come to
  bool operator==(const TlsServerSettings&) const = default;
};

struct BasicAuthUser {
  std::string name;
  std::string bcrypt_hash;  // "$2y$10$..." (also $2a$, $2b$)
  bool operator==(const BasicAuthUser&) const = default;
};

struct WebConfig {
  bool tls = false;  // false: plain HTTP (no tls_server_config, or an empty one)
  TlsServerSettings tls_server;
  std::vector<BasicAuthUser> users;                          // empty: no authentication
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response
  bool operator==(const WebConfig&) const = default;
};

// Where and why the file was refused; line and column are 1-based, 0 when unknown.
struct WebConfigError {
  uint32_t line = 0;
  uint32_t column = 0;
  std::string key;  // "tls_server_config.min_version", "basic_auth_users.alice"
  std::string message;
};

// Parses and checks `yaml`. Unknown keys, wrong types, unknown names (client_auth_type,
// versions, cipher suites, curves, headers) and strings that are not bcrypt hashes are refused
// with the key named.
Result<WebConfig, WebConfigError> ParseWebConfig(std::string_view yaml);

// True for "$2a$", "$2b$" or "$2y$", a cost from 04 to 31, "$" and 53 characters of bcrypt's
// base64 (22 of salt, 31 of hash).
bool IsBcryptHash(std::string_view hash);

}  // namespace sloth
