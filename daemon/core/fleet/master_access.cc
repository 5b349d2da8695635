#include "daemon/core/fleet/master_access.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace sloth {
namespace {

std::string_view Trim(std::string_view s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const auto end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

std::optional<Sha256Digest> ParseHexDigest(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Sha256Digest digest{};
  for (size_t i = 0; i < digest.size(); ++i) {
    uint8_t byte = 0;
    for (char c : hex.substr(2 * i, 2)) {
      byte = static_cast<uint8_t>(byte << 4);
      if (c >= '0' && c <= '9') {
        byte |= static_cast<uint8_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        byte |= static_cast<uint8_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        byte |= static_cast<uint8_t>(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
    }
    digest[i] = byte;
  }
  return digest;
}

std::string NamesOf(const PeerCertificate& peer) {
  std::string names = peer.common_name.empty() ? "" : "CN " + peer.common_name;
  for (const auto& dns : peer.dns_names) names += (names.empty() ? "DNS " : ", DNS ") + dns;
  return names;
}

}  // namespace

bool PeerCertificate::Names(std::string_view name) const {
  return common_name == name || std::find(dns_names.begin(), dns_names.end(), name) != dns_names.end();
}

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return digest;
}

std::string HexDigest(const Sha256Digest& digest) {
  std::string hex;
  hex.reserve(64);
  for (uint8_t byte : digest) hex += fmt::format("{:02x}", byte);
  return hex;
}

Result<TokenTable> TokenTable::Parse(std::string_view text, std::string_view source) {
  TokenTable table;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto newline = text.find('\n');
    const std::string_view line = Trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.find_first_of(" \t");
    const std::string_view name = line.substr(0, space);
    const std::string_view hex = space == std::string_view::npos ? std::string_view() : Trim(line.substr(space));
    const auto digest = ParseHexDigest(hex);
    if (!digest) {
      return Failure{
          fmt::format("{}:{}: expected \"NAME SHA256\" (64 hex digits: `tr -d '\\n' < TOKEN_FILE | "
                      "sha256sum`), got \"{}\"",
                      source, line_number, line.substr(0, 80))};
    }
    table.entries_.push_back(Entry{std::string(name), *digest});
  }
  return table;
}

std::optional<std::string> TokenTable::Match(std::string_view token) const {
  const Sha256Digest presented = Sha256(token);
  const Entry* found = nullptr;
  for (const Entry& entry : entries_) {
    uint8_t difference = 0;
    for (size_t i = 0; i < presented.size(); ++i) difference |= static_cast<uint8_t>(presented[i] ^ entry.digest[i]);
    // Every entry is compared in full; which one matched is only remembered.
    if (difference == 0 && found == nullptr) found = &entry;
  }
  if (found == nullptr) return std::nullopt;
  return found->name;
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return std::nullopt;
    }
  }
  const std::string_view token = Trim(authorization.substr(kScheme.size()));
  if (token.empty()) return std::nullopt;
  return token;
}

MasterAccess::MasterAccess(std::set<std::string> operator_names, TokenTable tokens, bool insecure)
    : operators_(std::move(operator_names)), tokens_(std::move(tokens)), insecure_(insecure) {}

Result<std::string, AccessRefused> MasterAccess::AuthorizeOperator(
    const PeerCertificate& peer, std::optional<std::string_view> authorization) const {
  using Kind = AccessRefused::Kind;
  if (insecure_) return std::string("insecure:anonymous");
  if (authorization) {
    const auto token = BearerToken(*authorization);
    if (!token) {
      return AccessRefused{Kind::kUnauthenticated, "bad_token", "the authorization metadata is not \"Bearer TOKEN\""};
    }
    if (auto name = tokens_.Match(*token)) return "token:" + *name;
    return AccessRefused{Kind::kUnauthenticated, "bad_token", "the bearer token is not one the master knows"};
  }
  if (!peer.present()) {
    return AccessRefused{Kind::kUnauthenticated, "no_credentials",
                         "no client certificate and no bearer token: operators present one of them"};
  }
  for (const std::string& name : operators_) {
    if (peer.Names(name)) return "cert:" + name;
  }
  return AccessRefused{Kind::kPermissionDenied, "not_operator",
                       fmt::format("the client certificate ({}) is not an operator's: the master lists operators "
                                   "in [master] operators",
                                   NamesOf(peer))};
}

Result<void, AccessRefused> MasterAccess::AuthorizeAgent(const PeerCertificate& peer, std::string_view name) const {
  using Kind = AccessRefused::Kind;
  if (insecure_) return {};
  if (!peer.present()) {
    return AccessRefused{Kind::kUnauthenticated, "no_certificate",
                         "agents connect with a client certificate that names them (CN or DNS SAN)"};
  }
  if (operators_.count(std::string(name)) != 0) {
    return AccessRefused{Kind::kPermissionDenied, "identity_mismatch",
                         fmt::format("'{}' is an operator's name, not an agent's", name)};
  }
  if (!peer.Names(name)) {
    return AccessRefused{Kind::kPermissionDenied, "identity_mismatch",
                         fmt::format("the client certificate names {}, not agent '{}': an agent registers only under "
                                     "a name its certificate carries",
                                     NamesOf(peer), name)};
  }
  return {};
}

}  // namespace sloth
