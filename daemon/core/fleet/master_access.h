#pragma once
// Who may do what on the master (doc/fleet.md, "Authentication"): an agent registers only under a
// name its client certificate carries; an operator is a client certificate listed in [master]
// operators, or a bearer token whose SHA-256 is in [master] tokens_file. Pure decisions on what
// the TLS layer and the call's metadata established; the gRPC adapter gathers those.
// Thread-safe after construction (const).
#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace sloth {

// The names a verified client certificate carries, as gRPC's auth context reports them. Empty
// when the client sent none (operators with a token need none).
struct PeerCertificate {
  std::string common_name;
  std::vector<std::string> dns_names;  // subjectAltName DNS entries
  bool present() const { return !common_name.empty() || !dns_names.empty(); }
  bool Names(std::string_view name) const;
};

using Sha256Digest = std::array<uint8_t, 32>;
Sha256Digest Sha256(std::string_view data);
std::string HexDigest(const Sha256Digest& digest);

// Bearer tokens by name, kept only as SHA-256 digests. Tokens are random (32 bytes from
// `openssl rand`), so a fast hash is enough: there is no dictionary to try, unlike passwords.
class TokenTable {
 public:
  // Lines "NAME SHA256-HEX"; blank lines and "# ..." are skipped. A bad line is refused with
  // source:line and what is expected.
  static Result<TokenTable> Parse(std::string_view text, std::string_view source);

  // The name of the token, comparing its digest with every entry in constant time (no early
  // exit, no length leak: digests all have the same length).
  std::optional<std::string> Match(std::string_view token) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string name;
    Sha256Digest digest{};
  };
  std::vector<Entry> entries_;
};

// The token in an `authorization: Bearer TOKEN` header value, if that is what it is.
std::optional<std::string_view> BearerToken(std::string_view authorization);

// Why a call was refused: the gRPC code family, a metric label and the message for the caller.
struct AccessRefused {
  enum class Kind { kUnauthenticated, kPermissionDenied } kind = Kind::kUnauthenticated;
  std::string reason;  // sloth_master_auth_failures_total{reason}
  std::string message;
};

class MasterAccess {
 public:
  // `insecure`: no credentials at all ([master] insecure = true): everyone is an operator named
  // "anonymous", and agents register under any name.
  MasterAccess(std::set<std::string> operator_names, TokenTable tokens, bool insecure);

  // The operator as logs and metrics name them ("cert:alice", "token:ci"), or why not.
  Result<std::string, AccessRefused> AuthorizeOperator(const PeerCertificate& peer,
                                                       std::optional<std::string_view> authorization) const;
  // An agent may register as `name` only with a certificate that names it, and never under an
  // operator's name (an operator's certificate is not an agent's).
  Result<void, AccessRefused> AuthorizeAgent(const PeerCertificate& peer, std::string_view name) const;

  bool insecure() const { return insecure_; }

 private:
  std::set<std::string> operators_;
  TokenTable tokens_;
  bool insecure_;
};

}  // namespace sloth
