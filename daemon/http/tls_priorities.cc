#include "daemon/http/tls_priorities.h"

#include <algorithm>
#include <array>
#include <set>
#include <tuple>

#include <fmt/format.h>

namespace sloth {
namespace {

// A TLS 1.2 suite as Go names it and as GnuTLS builds it (key exchange, cipher, MAC).
struct Suite {
  std::string_view go_name;
  std::string_view kx;
  std::string_view cipher;
  std::string_view mac;
};

constexpr std::array<Suite, 19> kSuites = {{
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "RSA", "AES-128-CBC", "SHA1"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "RSA", "AES-256-CBC", "SHA1"},
    {"TLS_RSA_WITH_AES_128_CBC_SHA256", "RSA", "AES-128-CBC", "SHA256"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", "AES-128-GCM", "AEAD"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "RSA", "AES-256-GCM", "AEAD"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA", "AES-128-CBC", "SHA1"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA", "AES-256-CBC", "SHA1"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA", "AES-128-CBC", "SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA", "AES-128-GCM", "AEAD"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA", "AES-256-GCM", "AEAD"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA", "CHACHA20-POLY1305", "AEAD"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "ECDHE-ECDSA", "CHACHA20-POLY1305", "AEAD"},  // Go's older alias
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA", "AES-128-CBC", "SHA1"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA", "AES-256-CBC", "SHA1"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA", "AES-128-CBC", "SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA", "AES-128-GCM", "AEAD"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA", "AES-256-GCM", "AEAD"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA", "CHACHA20-POLY1305", "AEAD"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "ECDHE-RSA", "CHACHA20-POLY1305", "AEAD"},
}};

// TLS 1.3 always offers these (Go does not let them be configured either).
constexpr std::array<std::string_view, 3> kTls13Ciphers = {"AES-128-GCM", "AES-256-GCM", "CHACHA20-POLY1305"};

const Suite* FindSuite(std::string_view name) {
  auto it = std::find_if(kSuites.begin(), kSuites.end(), [&](const Suite& s) { return s.go_name == name; });
  return it == kSuites.end() ? nullptr : &*it;
}

std::string_view GnutlsGroup(std::string_view curve) {
  if (curve == "CurveP256") return "GROUP-SECP256R1";
  if (curve == "CurveP384") return "GROUP-SECP384R1";
  if (curve == "CurveP521") return "GROUP-SECP521R1";
  if (curve == "X25519") return "GROUP-X25519";
  return {};
}

std::string_view GnutlsVersion(TlsVersion v) {
  switch (v) {
    case TlsVersion::kTls10: return "VERS-TLS1.0";
    case TlsVersion::kTls11: return "VERS-TLS1.1";
    case TlsVersion::kTls12: return "VERS-TLS1.2";
    case TlsVersion::kTls13: return "VERS-TLS1.3";
  }
  return "VERS-TLS1.2";
}

void AddOnce(std::vector<std::string_view>& list, std::string_view item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

}  // namespace

std::optional<TlsVersion> ParseTlsVersion(std::string_view name) {
  if (name == "TLS10") return TlsVersion::kTls10;
  if (name == "TLS11") return TlsVersion::kTls11;
  if (name == "TLS12") return TlsVersion::kTls12;
  if (name == "TLS13") return TlsVersion::kTls13;
  return std::nullopt;
}

bool KnownCipherSuite(std::string_view name) { return FindSuite(name) != nullptr; }

bool KnownCurve(std::string_view name) { return !GnutlsGroup(name).empty(); }

Result<std::string, PriorityRefusal> GnutlsPriorities(const TlsServerSettings& tls) {
  if (tls.min_version > tls.max_version) {
    return PriorityRefusal{"tls_server_config.max_version", "max_version is below min_version"};
  }
  std::string out = "NORMAL:-VERS-ALL";
  for (int v = static_cast<int>(tls.min_version); v <= static_cast<int>(tls.max_version); ++v) {
    out += fmt::format(":+{}", GnutlsVersion(static_cast<TlsVersion>(v)));
  }
  if (!tls.curve_preferences.empty()) {
    out += ":-GROUP-ALL";
    for (const auto& curve : tls.curve_preferences) out += fmt::format(":+{}", GnutlsGroup(curve));
  }
  if (tls.cipher_suites.empty()) {
    // Go's default set and order (what exporter-toolkit serves): AES-128-GCM first, where
    // GnuTLS's NORMAL starts with AES-256-GCM and adds CCM.
    out += ":-CIPHER-ALL:+AES-128-GCM:+CHACHA20-POLY1305:+AES-256-GCM:+AES-128-CBC:+AES-256-CBC";
  } else {
    std::vector<std::string_view> kxs, ciphers, macs;
    std::set<std::tuple<std::string_view, std::string_view, std::string_view>> listed;
    for (const auto& name : tls.cipher_suites) {
      const Suite* s = FindSuite(name);
      AddOnce(kxs, s->kx);
      AddOnce(ciphers, s->cipher);
      AddOnce(macs, s->mac);
      listed.emplace(s->kx, s->cipher, s->mac);
    }
    if (tls.max_version == TlsVersion::kTls13) {
      for (auto c : kTls13Ciphers) AddOnce(ciphers, c);
      AddOnce(macs, "AEAD");
    }
    for (const Suite& s : kSuites) {
      const bool enabled = std::find(kxs.begin(), kxs.end(), s.kx) != kxs.end() &&
                           std::find(ciphers.begin(), ciphers.end(), s.cipher) != ciphers.end() &&
                           std::find(macs.begin(), macs.end(), s.mac) != macs.end();
      if (enabled && !listed.contains({s.kx, s.cipher, s.mac})) {
        return PriorityRefusal{
            "tls_server_config.cipher_suites",
            fmt::format("GnuTLS enables the combinations of the listed suites' key exchanges, ciphers and MACs{}, so "
                        "this list would also enable {}: add it to the list{}",
                        tls.max_version == TlsVersion::kTls13 ? " (and TLS 1.3's AES-GCM and ChaCha20 ciphers)" : "",
                        s.go_name, tls.max_version == TlsVersion::kTls13 ? " or set max_version: TLS12" : "")};
      }
    }
    out += ":-KX-ALL:-CIPHER-ALL:-MAC-ALL";
    for (auto kx : kxs) out += fmt::format(":+{}", kx);
    for (auto c : ciphers) out += fmt::format(":+{}", c);
    for (auto m : macs) out += fmt::format(":+{}", m);
  }
  if (tls.prefer_server_cipher_suites) out += ":%SERVER_PRECEDENCE";
  return out;
}

}  // namespace sloth
