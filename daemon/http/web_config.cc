#include "daemon/http/web_config.h"

#include <algorithm>
#include <array>
#include <functional>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "daemon/http/tls_priorities.h"

namespace sloth {
namespace {

using Error = WebConfigError;

// exporter-toolkit refuses every other header: these are the ones a security review asks for.
constexpr std::array<std::string_view, 5> kAllowedHeaders = {"Strict-Transport-Security", "X-Content-Type-Options",
                                                             "X-Frame-Options", "X-XSS-Protection",
                                                             "Content-Security-Policy"};

Error At(const YAML::Node& node, std::string key, std::string message) {
  const YAML::Mark mark = node.Mark();
  const bool known = mark.line >= 0 && !node.IsNull();
  return Error{known ? static_cast<uint32_t>(mark.line + 1) : 0, known ? static_cast<uint32_t>(mark.column + 1) : 0,
               std::move(key), std::move(message)};
}

std::string Joined(std::string_view prefix, const std::string& key) {
  return prefix.empty() ? key : fmt::format("{}.{}", prefix, key);
}

std::string KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return fmt::format("\"{}\"", node.Scalar());
    default: return "nothing";
  }
}

// A scalar as a string; null (an empty value) reads as "".
std::optional<Error> ReadString(const YAML::Node& node, const std::string& key, std::string* out) {
  if (node.IsNull()) {
    out->clear();
    return std::nullopt;
  }
  if (!node.IsScalar()) return At(node, key, fmt::format("expected a string, got {}", KindName(node)));
  *out = node.Scalar();
  return std::nullopt;
}

std::optional<Error> ReadBool(const YAML::Node& node, const std::string& key, bool* out) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return *out = true, std::nullopt;
    if (s == "false" || s == "False" || s == "FALSE") return *out = false, std::nullopt;
  }
  return At(node, key, fmt::format("expected true or false, got {}", KindName(node)));
}

std::optional<Error> ReadStringList(const YAML::Node& node, const std::string& key, std::vector<std::string>* out,
                                    const std::function<bool(std::string_view)>& known, std::string_view what) {
  out->clear();
  if (node.IsNull()) return std::nullopt;
  if (!node.IsSequence()) return At(node, key, fmt::format("expected a list of {}, got {}", what, KindName(node)));
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) return At(item, key, fmt::format("expected {}, got {}", what, KindName(item)));
    if (!known(item.Scalar())) {
      return At(item, key, fmt::format("unknown {} \"{}\" (see doc/web-config.md for the names)", what, item.Scalar()));
    }
    out->push_back(item.Scalar());
  }
  return std::nullopt;
}

// Calls `read` for each key of the mapping `node`; a key not in `allowed` is refused.
std::optional<Error> ForEachKey(
    const YAML::Node& node, std::string_view prefix, const std::vector<std::string_view>& allowed,
    const std::function<std::optional<Error>(const std::string&, const YAML::Node&)>& read) {
  if (node.IsNull()) return std::nullopt;
  if (!node.IsMap()) {
    return At(node, std::string(prefix), fmt::format("expected a mapping of keys, got {}", KindName(node)));
  }
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) return At(entry.first, std::string(prefix), "expected a string key");
    const std::string key = entry.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return At(entry.first, Joined(prefix, key), fmt::format("unknown key (allowed here: {})", list));
    }
    if (auto error = read(key, entry.second)) return error;
  }
  return std::nullopt;
}

std::optional<ClientAuth> ParseClientAuth(std::string_view name) {
  if (name.empty() || name == "NoClientCert") return ClientAuth::kNoClientCert;
  if (name == "RequestClientCert") return ClientAuth::kRequestClientCert;
  if (name == "RequireAnyClientCert") return ClientAuth::kRequireAnyClientCert;
  if (name == "VerifyClientCertIfGiven") return ClientAuth::kVerifyClientCertIfGiven;
  if (name == "RequireAndVerifyClientCert") return ClientAuth::kRequireAndVerifyClientCert;
  return std::nullopt;
}

std::optional<Error> ReadTls(const YAML::Node& node, TlsServerSettings* tls, bool* any_set) {
  constexpr std::string_view p = "tls_server_config";
  return ForEachKey(node, p,
                    {"cert_file", "key_file", "client_auth_type", "client_ca_file", "cipher_suites",
                     "curve_preferences", "min_version", "max_version", "prefer_server_cipher_suites"},
                    [&](const std::string& key, const YAML::Node& value) -> std::optional<Error> {
                      const std::string full = Joined(p, key);
                      std::string text;
                      if (key == "cert_file" || key == "key_file" || key == "client_ca_file") {
                        std::string* field = key == "cert_file"  ? &tls->cert_file
                                             : key == "key_file" ? &tls->key_file
                                                                 : &tls->client_ca_file;
                        if (auto e = ReadString(value, full, field)) return e;
                        *any_set = *any_set || !field->empty();
                        return std::nullopt;
                      }
                      if (key == "client_auth_type") {
                        if (auto e = ReadString(value, full, &text)) return e;
                        auto auth = ParseClientAuth(text);
                        if (!auth) {
                          return At(value, full,
                                    fmt::format("expected NoClientCert, RequestClientCert, RequireAnyClientCert, "
                                                "VerifyClientCertIfGiven or RequireAndVerifyClientCert, got \"{}\"",
                                                text));
                        }
                        tls->client_auth = *auth;
                        *any_set = *any_set || !text.empty();
                        return std::nullopt;
                      }
                      if (key == "min_version" || key == "max_version") {
                        if (auto e = ReadString(value, full, &text)) return e;
                        auto version = ParseTlsVersion(text);
                        if (!version)
                          return At(value, full,
                                    fmt::format("expected TLS10, TLS11, TLS12 or TLS13, got \"{}\"", text));
                        (key == "min_version" ? tls->min_version : tls->max_version) = *version;
                        return std::nullopt;
                      }
                      if (key == "cipher_suites")
                        return ReadStringList(value, full, &tls->cipher_suites, KnownCipherSuite, "cipher suite");
                      if (key == "curve_preferences")
                        return ReadStringList(value, full, &tls->curve_preferences, KnownCurve, "curve");
                      return ReadBool(value, full, &tls->prefer_server_cipher_suites);
                    });
}

std::optional<Error> ReadUsers(const YAML::Node& node, std::vector<BasicAuthUser>* users) {
  if (node.IsNull()) return std::nullopt;
  if (!node.IsMap()) {
    return At(node, "basic_auth_users", fmt::format("expected a mapping of user: bcrypt hash, got {}", KindName(node)));
  }
  for (const auto& entry : node) {
    if (!entry.first.IsScalar() || entry.first.Scalar().empty()) {
      return At(entry.first, "basic_auth_users", "expected a user name");
    }
    const std::string name = entry.first.Scalar();
    const std::string key = Joined("basic_auth_users", name);
    if (name.find(':') != std::string::npos) {
      return At(entry.first, key, "a user name cannot contain ':' (HTTP basic auth splits on it)");
    }
    if (std::any_of(users->begin(), users->end(), [&](const BasicAuthUser& u) { return u.name == name; })) {
      return At(entry.first, key, "this user is listed twice");
    }
    std::string hash;
    if (auto e = ReadString(entry.second, key, &hash)) return e;
    if (!IsBcryptHash(hash)) {
      return At(
          entry.second.IsNull() ? entry.first : entry.second, key,
          "expected a bcrypt hash (\"$2y$10$\" and 53 characters), such as `htpasswd -nBC 10 \"\" | tr -d ':\\n'` "
          "prints; a plain-text password is never accepted");
    }
    users->push_back(BasicAuthUser{name, hash});
  }
  return std::nullopt;
}

std::optional<Error> ReadHttp(const YAML::Node& node, WebConfig* config) {
  constexpr std::string_view p = "http_server_config";
  return ForEachKey(node, p, {"http2", "headers"}, [&](const std::string& key, const YAML::Node& value) {
    const std::string full = Joined(p, key);
    if (key == "http2") {
      bool ignored = false;  // slothd speaks HTTP/1.1 only; clients that ask for HTTP/2 fall back
      return ReadBool(value, full, &ignored);
    }
    return ForEachKey(value, full, {kAllowedHeaders.begin(), kAllowedHeaders.end()},
                      [&](const std::string& header, const YAML::Node& header_value) -> std::optional<Error> {
                        std::string text;
                        if (auto e = ReadString(header_value, Joined(full, header), &text)) return e;
                        if (text.find_first_of("\r\n") != std::string::npos) {
                          return At(header_value, Joined(full, header), "a header value cannot span lines");
                        }
                        config->headers.emplace_back(header, text);
                        return std::nullopt;
                      });
  });
}

}  // namespace

bool IsBcryptHash(std::string_view hash) {
  if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$') return false;
  if (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') return false;
  if (hash[4] < '0' || hash[4] > '3' || hash[5] < '0' || hash[5] > '9') return false;
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return false;
  return std::all_of(hash.begin() + 7, hash.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '/';
  });
}

Result<WebConfig, WebConfigError> ParseWebConfig(std::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Error{static_cast<uint32_t>(e.mark.line + 1), static_cast<uint32_t>(e.mark.column + 1), "",
                 fmt::format("YAML syntax error: {}", e.msg)};
  }
  WebConfig config;
  bool tls_set = false;
  std::optional<Error> error;
  try {
    error = ForEachKey(root, "", {"tls_server_config", "http_server_config", "basic_auth_users"},
                       [&](const std::string& key, const YAML::Node& value) -> std::optional<Error> {
                         if (key == "tls_server_config") return ReadTls(value, &config.tls_server, &tls_set);
                         if (key == "http_server_config") return ReadHttp(value, &config);
                         return ReadUsers(value, &config.users);
                       });
  } catch (const YAML::Exception& e) {  // yaml-cpp throws on what it cannot represent (e.g. aliases gone wrong)
    return Error{0, 0, "", fmt::format("YAML error: {}", e.what())};
  }
  if (error) return *error;
  if (!root.IsNull() && !root.IsMap()) {
    return At(root, "", fmt::format("expected a mapping of keys, got {}", KindName(root)));
  }
  // As exporter-toolkit: a tls_server_config with nothing set means plain HTTP.
  if (!tls_set) return config;
  TlsServerSettings& tls = config.tls_server;
  const YAML::Node tls_node = root["tls_server_config"];
  auto refuse = [&](std::string_view key, std::string message) {
    const YAML::Node node = tls_node[std::string(key)];
    return At(node ? node : tls_node, Joined("tls_server_config", std::string(key)), std::move(message));
  };
  if (tls.cert_file.empty()) return refuse("cert_file", "missing: TLS needs cert_file and key_file");
  if (tls.key_file.empty()) return refuse("key_file", "missing: TLS needs cert_file and key_file");
  const bool verifies = tls.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                        tls.client_auth == ClientAuth::kRequireAndVerifyClientCert;
  if (verifies && tls.client_ca_file.empty()) {
    return refuse("client_ca_file", "missing: client_auth_type verifies client certificates against client_ca_file");
  }
  if (!tls.client_ca_file.empty() && tls.client_auth == ClientAuth::kNoClientCert) {
    return refuse("client_auth_type",
                  "client_ca_file is set but client_auth_type asks for no client certificate: set "
                  "RequireAndVerifyClientCert or VerifyClientCertIfGiven");
  }
  auto priorities = GnutlsPriorities(tls);
  if (!priorities) {
    const std::string key = priorities.error().key.substr(std::string_view("tls_server_config.").size());
    return refuse(key, priorities.error().message);
  }
  tls.gnutls_priorities = *priorities;
  config.tls = true;
  return config;
}

}  // namespace sloth
