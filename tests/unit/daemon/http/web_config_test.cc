#include "daemon/http/web_config.h"

#include <gtest/gtest.h>

namespace sloth {
namespace {

// htpasswd -nbBC 4 alice secret
constexpr const char* kHash = "$2y$04$FfeLBPqYw0KK3hkBNtc.6u4mfG2p/jgU5lhEOyAp33g6.nnJbr2XS";

// Go's default ciphers in its order, which slothd asks GnuTLS for when cipher_suites is not set.
const std::string kGoCiphers = "-CIPHER-ALL:+AES-128-GCM:+CHACHA20-POLY1305:+AES-256-GCM:+AES-128-CBC:+AES-256-CBC";

WebConfig Parsed(const std::string& yaml) {
  auto r = ParseWebConfig(yaml);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().key + ": " + r.error().message);
  return r.ok() ? *r : WebConfig{};
}

WebConfigError Refused(const std::string& yaml) {
  auto r = ParseWebConfig(yaml);
  EXPECT_FALSE(r.ok()) << "accepted:\n" << yaml;
  return r.ok() ? WebConfigError{} : r.error();
}

TEST(ParseWebConfig, EmptyFileIsPlainHttpWithoutAuth) {
  const WebConfig c = Parsed("");
  EXPECT_FALSE(c.tls);
  EXPECT_TRUE(c.users.empty());
  EXPECT_TRUE(c.headers.empty());
  EXPECT_FALSE(Parsed("tls_server_config:\n").tls);
  EXPECT_FALSE(Parsed("tls_server_config:\n  min_version: TLS13\n").tls);
}

TEST(ParseWebConfig, ReadsTheExporterToolkitKeys) {
  const WebConfig c = Parsed(std::string(R"(
tls_server_config:
  cert_file: server.crt
  key_file: /etc/sloth/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS13
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: false
  headers:
    Strict-Transport-Security: max-age=31536000
    X-Frame-Options: deny
basic_auth_users:
  prometheus: ")") + kHash + "\"\n");
  EXPECT_TRUE(c.tls);
  EXPECT_EQ(c.tls_server.cert_file, "server.crt");
  EXPECT_EQ(c.tls_server.key_file, "/etc/sloth/server.key");
  EXPECT_EQ(c.tls_server.client_ca_file, "ca.crt");
  EXPECT_EQ(c.tls_server.client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(c.tls_server.min_version, TlsVersion::kTls13);
  EXPECT_EQ(c.tls_server.gnutls_priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:" +
                                                kGoCiphers + ":%SERVER_PRECEDENCE");
  ASSERT_EQ(c.users.size(), 1u);
  EXPECT_EQ(c.users[0].name, "prometheus");
  EXPECT_EQ(c.users[0].bcrypt_hash, kHash);
  ASSERT_EQ(c.headers.size(), 2u);
  EXPECT_EQ(c.headers[0].first, "Strict-Transport-Security");
  EXPECT_EQ(c.headers[1].second, "deny");
}

TEST(ParseWebConfig, DefaultPrioritiesAreTls12AndUp) {
  const WebConfig c = Parsed("tls_server_config:\n  cert_file: a\n  key_file: b\n");
  EXPECT_EQ(c.tls_server.gnutls_priorities,
            "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3:" + kGoCiphers + ":%SERVER_PRECEDENCE");
}

TEST(ParseWebConfig, UnknownKeysAreNamedWithTheirPlace) {
  auto e = Refused("tls_server_config:\n  cert_file: a\n  keyfile: b\n");
  EXPECT_EQ(e.key, "tls_server_config.keyfile");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.column, 3u);
  EXPECT_NE(e.message.find("unknown key"), std::string::npos);
  EXPECT_NE(e.message.find("key_file"), std::string::npos) << e.message;
  EXPECT_EQ(Refused("basic_auth:\n  a: b\n").key, "basic_auth");
  EXPECT_EQ(Refused("http_server_config:\n  headers:\n    Server: x\n").key, "http_server_config.headers.Server");
}

TEST(ParseWebConfig, BadHashesAreRefusedWithTheUserNamed) {
  auto e = Refused("basic_auth_users:\n  alice: secret\n");
  EXPECT_EQ(e.key, "basic_auth_users.alice");
  EXPECT_EQ(e.line, 2u);
  EXPECT_NE(e.message.find("bcrypt"), std::string::npos);
  EXPECT_EQ(Refused("basic_auth_users:\n  bob:\n").key, "basic_auth_users.bob");
  // A SHA-512 crypt hash is a hash, but not bcrypt.
  EXPECT_EQ(Refused("basic_auth_users:\n  carol: '$6$salt$abc'\n").key, "basic_auth_users.carol");
  EXPECT_EQ(Refused(std::string("basic_auth_users:\n  'a:b': '") + kHash + "'\n").key, "basic_auth_users.a:b");
}

TEST(ParseWebConfig, TlsNeedsBothFilesAndACaToVerify) {
  EXPECT_EQ(Refused("tls_server_config:\n  cert_file: a\n").key, "tls_server_config.key_file");
  EXPECT_EQ(Refused("tls_server_config:\n  key_file: a\n").key, "tls_server_config.cert_file");
  EXPECT_EQ(
      Refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: VerifyClientCertIfGiven\n").key,
      "tls_server_config.client_ca_file");
  EXPECT_EQ(Refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n").key,
            "tls_server_config.client_auth_type");
  EXPECT_EQ(Refused("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Always\n").key,
            "tls_server_config.client_auth_type");
}

TEST(ParseWebConfig, VersionsSuitesAndCurvesUseGosNames) {
  const std::string base = "tls_server_config:\n  cert_file: a\n  key_file: b\n";
  EXPECT_EQ(Refused(base + "  min_version: TLS1.2\n").key, "tls_server_config.min_version");
  EXPECT_EQ(Refused(base + "  min_version: TLS13\n  max_version: TLS12\n").key, "tls_server_config.max_version");
  EXPECT_EQ(Refused(base + "  curve_preferences: [P256]\n").key, "tls_server_config.curve_preferences");
  EXPECT_EQ(Refused(base + "  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n").key, "tls_server_config.cipher_suites");
  // A list GnuTLS can enable exactly.
  const WebConfig ok = Parsed(base +
                              "  max_version: TLS12\n  cipher_suites:\n"
                              "    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
                              "    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n");
  EXPECT_EQ(ok.tls_server.gnutls_priorities,
            "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:-CIPHER-ALL:-MAC-ALL:+ECDHE-RSA:+AES-128-GCM:+AES-256-GCM:+AEAD:"
            "%SERVER_PRECEDENCE");
  // One GnuTLS would widen: the product also holds ECDHE-ECDSA with AES-128-GCM.
  auto widened = Refused(base +
                         "  max_version: TLS12\n  cipher_suites:\n"
                         "    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
                         "    - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n");
  EXPECT_EQ(widened.key, "tls_server_config.cipher_suites");
  EXPECT_NE(widened.message.find("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), std::string::npos) << widened.message;
}

TEST(ParseWebConfig, WrongTypesAndSyntaxAreRefused) {
  EXPECT_EQ(Refused("tls_server_config: yes\n").key, "tls_server_config");
  EXPECT_EQ(Refused("basic_auth_users: [a]\n").key, "basic_auth_users");
  EXPECT_EQ(Refused("http_server_config:\n  http2: maybe\n").key, "http_server_config.http2");
  auto syntax = Refused("tls_server_config:\n  cert_file: [a\n");
  EXPECT_TRUE(syntax.key.empty());
  EXPECT_NE(syntax.message.find("YAML"), std::string::npos);
  EXPECT_GT(syntax.line, 0u);
  EXPECT_EQ(Refused("- a\n- b\n").key, "");
}

TEST(IsBcryptHash, AcceptsOnlyBcrypt) {
  EXPECT_TRUE(IsBcryptHash(kHash));
  EXPECT_TRUE(IsBcryptHash("$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"));
  EXPECT_FALSE(IsBcryptHash("$2x$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"));
  EXPECT_FALSE(IsBcryptHash("$2b$03$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"));
  EXPECT_FALSE(IsBcryptHash("$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhW"));
  EXPECT_FALSE(IsBcryptHash("$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhW!"));
  EXPECT_FALSE(IsBcryptHash("secret"));
}

}  // namespace
}  // namespace sloth
