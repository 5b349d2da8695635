#include "daemon/http/web_config_files.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace sloth {
namespace {

// Files larger than this are not PEM certificates or keys (nor a web-config).
constexpr std::uintmax_t kMaxFileBytes = 1 << 20;

Result<std::string> ReadSmallFile(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Failure{fmt::format("cannot read {}: {}", path, ec.message())};
  if (size > kMaxFileBytes) return Failure{fmt::format("{} has {} bytes, more than the 1 MiB allowed", path, size)};
  std::ifstream in(path, std::ios::binary);
  if (!in) return Failure{fmt::format("cannot read {}: {}", path, std::strerror(errno))};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// As exporter-toolkit: file names in the web-config are relative to the web-config's directory.
std::string Resolve(const std::string& web_config_path, const std::string& file) {
  if (file.empty() || file.front() == '/') return file;
  return (std::filesystem::path(web_config_path).parent_path() / file).lexically_normal().string();
}

struct Credentials {
  gnutls_certificate_credentials_t cred = nullptr;
  Credentials() { gnutls_certificate_allocate_credentials(&cred); }
  ~Credentials() { gnutls_certificate_free_credentials(cred); }
};

gnutls_datum_t Datum(const std::string& s) {
  return gnutls_datum_t{reinterpret_cast<unsigned char*>(const_cast<char*>(s.data())), static_cast<unsigned>(s.size())};
}

}  // namespace

Result<std::shared_ptr<const LoadedWebConfig>, ConfigError> LoadWebConfig(const std::string& path) {
  auto refuse = [&](uint32_t line, uint32_t column, std::string key, std::string message) {
    return ConfigError{path, line, column, std::move(key), std::move(message)};
  };
  auto text = ReadSmallFile(path);
  if (!text) return refuse(0, 0, "", fmt::format("{} (the web-config file)", text.error().message));
  auto parsed = ParseWebConfig(*text);
  if (!parsed) {
    const WebConfigError& e = parsed.error();
    return refuse(e.line, e.column, e.key, e.message);
  }
  auto loaded = std::make_shared<LoadedWebConfig>();
  loaded->path = path;
  loaded->config = std::move(*parsed);
  if (!loaded->config.tls) return std::shared_ptr<const LoadedWebConfig>(std::move(loaded));

  TlsServerSettings& tls = loaded->config.tls_server;
  struct Named {
    const char* key;
    std::string* file;
    std::string* contents;
  };
  for (const Named& f :
       {Named{"cert_file", &tls.cert_file, &loaded->cert_pem}, Named{"key_file", &tls.key_file, &loaded->key_pem},
        Named{"client_ca_file", &tls.client_ca_file, &loaded->client_ca_pem}}) {
    if (f.file->empty()) continue;
    *f.file = Resolve(path, *f.file);
    auto contents = ReadSmallFile(*f.file);
    if (!contents) return refuse(0, 0, fmt::format("tls_server_config.{}", f.key), contents.error().message);
    *f.contents = std::move(*contents);
  }
  Credentials check;
  const gnutls_datum_t cert = Datum(loaded->cert_pem), key = Datum(loaded->key_pem);
  if (int rc = gnutls_certificate_set_x509_key_mem2(check.cred, &cert, &key, GNUTLS_X509_FMT_PEM, nullptr, 0); rc < 0) {
    const bool mismatch = rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH;
    return refuse(0, 0, mismatch ? "tls_server_config.key_file" : "tls_server_config.cert_file",
                  fmt::format("{} and {} are not a PEM certificate and its private key: {}", tls.cert_file,
                              tls.key_file, gnutls_strerror(rc)));
  }
  if (!loaded->client_ca_pem.empty()) {
    const gnutls_datum_t ca = Datum(loaded->client_ca_pem);
    const int count = gnutls_certificate_set_x509_trust_mem(check.cred, &ca, GNUTLS_X509_FMT_PEM);
    if (count <= 0) {
      return refuse(0, 0, "tls_server_config.client_ca_file",
                    fmt::format("{} holds no PEM CA certificate{}", tls.client_ca_file,
                                count < 0 ? fmt::format(": {}", gnutls_strerror(count)) : ""));
    }
  }
  gnutls_priority_t priority = nullptr;
  const char* error_at = nullptr;
  if (int rc = gnutls_priority_init(&priority, tls.gnutls_priorities.c_str(), &error_at); rc < 0) {
    return refuse(0, 0, "tls_server_config",
                  fmt::format("this GnuTLS refuses the priority string \"{}\" at \"{}\": {} (check min_version, "
                              "max_version, cipher_suites and curve_preferences)",
                              tls.gnutls_priorities, error_at ? error_at : "", gnutls_strerror(rc)));
  }
  gnutls_priority_deinit(priority);
  return std::shared_ptr<const LoadedWebConfig>(std::move(loaded));
}

}  // namespace sloth
