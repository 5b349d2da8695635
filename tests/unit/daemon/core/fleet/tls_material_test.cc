#include "daemon/core/fleet/tls_material.h"

#include <gtest/gtest.h>

namespace sloth {
namespace {

// A self-signed EC certificate, its key, and another key (made once with openssl for this test).
constexpr const char* kCertificate = R"(-----BEGIN CERTIFICATE-----
MIIBdDCCARugAwIBAgIUUy4eEVb8OiALzINRjCZVS5RsdnAwCgYIKoZIzj0EAwIw
DzENMAsGA1UEAwwEdGVzdDAgFw0yNjEyMDYxNjM4NDVaGA8yMTI2MTExMjE2Mzg0
NVowDzENMAsGA1UEAwwEdGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABN8E
/rWIxnq9EfMF/r1Q8X5yj7ouoOwKKOKBbJndugN4MABWLAa508KsvSDVJyR6lCnP
bXcTG6X/HvuYp54mNWyjUzBRMB0GA1UdDgQWBBSXtL+IBX8R4b+NqkLvSTjX0qmg
xDAfBgNVHSMEGDAWgBSXtL+IBX8R4b+NqkLvSTjX0qmgxDAPBgNVHRMBAf8EBTAD
AQH/MAoGCCqGSM49BAMCA0cAMEQCIHrdAgAUdnuSfUxJhkJ1iCh5fy5CSG5fjX/B
iQlGyJeZAiAHV2gtHgavwO3PiSd2axFrykqQ00HBXzWbLZOsWsQOrg==
-----END CERTIFICATE-----
)";
constexpr const char* kKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg+fTfmkXl1HW6k5Jv
PVrqDYM2U9HApYTkSfFtR//7sQKhRANCAATfBP61iMZ6vRHzBf69UPF+co+6LqDs
CijigWyZ3boDeDAAViwGudPCrL0g1SckepQpz213Exul/x77mKeeJjVs
-----END PRIVATE KEY-----
)";
constexpr const char* kOtherKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgyxBTIzj4nHa8AFq4
udVzLLW+tU6V4qEc0H8u8VY6utyhRANCAATJpC0ZBgWwx2KocB9JrRalliCzMGA9
GAkoEq6K/U6O8p9PZnA0kjwWJYPwj4QNDLp35oHhUcOPfQGrdnFYw/iE
-----END PRIVATE KEY-----
)";

TEST(TlsMaterial, ACertificateAndItsKeyPass) {
  EXPECT_TRUE(CheckCertificates(kCertificate, "ca"));
  EXPECT_TRUE(CheckKeyPair(kCertificate, kKey, "[master] cert and key"));
}

TEST(TlsMaterial, WhatIsWrongIsNamedWithTheKey) {
  auto not_pem = CheckCertificates("hello", "[master] client_ca");
  ASSERT_FALSE(not_pem);
  EXPECT_EQ(not_pem.error().message.rfind("[master] client_ca: not a PEM certificate", 0), 0u);
  auto swapped = CheckKeyPair(kKey, kCertificate, "[agent] master_cert and master_key");
  ASSERT_FALSE(swapped);
  EXPECT_EQ(swapped.error().message.rfind("[agent] master_cert and master_key: the certificate is not PEM", 0), 0u);
  auto other = CheckKeyPair(kCertificate, kOtherKey, "[master] cert and key");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().message, "[master] cert and key: the key does not belong to the certificate");
}

}  // namespace
}  // namespace sloth
