#include "daemon/http/tls_priorities.h"

#include <gtest/gtest.h>

namespace sloth {
namespace {

TEST(ParseTlsVersion, ExporterToolkitsSpelling) {
  EXPECT_EQ(ParseTlsVersion("TLS10"), TlsVersion::kTls10);
  EXPECT_EQ(ParseTlsVersion("TLS13"), TlsVersion::kTls13);
  EXPECT_FALSE(ParseTlsVersion("TLS1.3"));
  EXPECT_FALSE(ParseTlsVersion("tls13"));
}

TEST(GnutlsPriorities, VersionsCurvesAndPrecedence) {
  TlsServerSettings tls;
  tls.min_version = TlsVersion::kTls11;
  tls.max_version = TlsVersion::kTls12;
  tls.curve_preferences = {"CurveP384"};
  tls.prefer_server_cipher_suites = false;
  auto p = GnutlsPriorities(tls);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p,
            "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.2:-GROUP-ALL:+GROUP-SECP384R1:-CIPHER-ALL:+AES-128-GCM:"
            "+CHACHA20-POLY1305:+AES-256-GCM:+AES-128-CBC:+AES-256-CBC");
  tls.min_version = TlsVersion::kTls13;
  auto refused = GnutlsPriorities(tls);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().key, "tls_server_config.max_version");
}

// With TLS 1.3 allowed its AES-GCM ciphers are always in GnuTLS's product (Go always offers
// the TLS 1.3 suites), so a TLS 1.2 list must name the suites that product adds.
TEST(GnutlsPriorities, Tls13WidensACbcOnlyList) {
  TlsServerSettings tls;
  tls.cipher_suites = {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"};
  auto refused = GnutlsPriorities(tls);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), std::string::npos)
      << refused.error().message;
  tls.max_version = TlsVersion::kTls12;
  auto p = GnutlsPriorities(tls);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(*p,
            "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:-CIPHER-ALL:-MAC-ALL:+ECDHE-RSA:+AES-128-CBC:+SHA1:"
            "%SERVER_PRECEDENCE");
}

TEST(KnownNames, OnlyWhatGnutlsCanOffer) {
  EXPECT_TRUE(KnownCipherSuite("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"));
  EXPECT_TRUE(KnownCipherSuite("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305"));  // Go's older alias
  EXPECT_FALSE(KnownCipherSuite("TLS_RSA_WITH_3DES_EDE_CBC_SHA"));
  EXPECT_FALSE(KnownCipherSuite("TLS_AES_128_GCM_SHA256"));  // TLS 1.3: not configurable, as in Go
  EXPECT_TRUE(KnownCurve("X25519"));
  EXPECT_FALSE(KnownCurve("P256"));
}

}  // namespace
}  // namespace sloth
