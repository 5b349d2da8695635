#pragma once
// exporter-toolkit's TLS names (Go's crypto/tls) → a GnuTLS priority string. Pure.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "daemon/http/web_config.h"

namespace sloth {

// "TLS10" .. "TLS13" (exporter-toolkit's spelling); nullopt for anything else.
std::optional<TlsVersion> ParseTlsVersion(std::string_view name);

// Whether GnuTLS can offer the Go cipher suite `name` (a TLS 1.2 suite of the table in the .cc).
bool KnownCipherSuite(std::string_view name);
// Go's curve names "CurveP256", "CurveP384", "CurveP521", "X25519".
bool KnownCurve(std::string_view name);

// Why a key of tls_server_config cannot be honoured: the key and what to do.
struct PriorityRefusal {
  std::string key;
  std::string message;
};

// The GnuTLS priority string for the versions, suites, curves and precedence in `tls`.
// GnuTLS enables suites as the product of the key exchanges, ciphers and MACs it is given, so a
// cipher_suites list whose product holds a suite it does not name is refused, naming that suite
// (Go would enable exactly the list); so is a list that leaves TLS 1.3 without its ciphers.
Result<std::string, PriorityRefusal> GnutlsPriorities(const TlsServerSettings& tls);

}  // namespace sloth
