#include "daemon/core/fleet/master_access.h"

#include <gtest/gtest.h>

namespace sloth {
namespace {

TEST(Sha256, KnownVector) {
  EXPECT_EQ(HexDigest(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(TokenTable, ParsesNamesAndDigestsSkippingCommentsAndBlankLines) {
  const std::string text =
      "# operators' tokens\n\nci " + HexDigest(Sha256("s3cret")) + "\nops\t" + HexDigest(Sha256("other")) + "  \n";
  auto table = TokenTable::Parse(text, "tokens");
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_EQ(table->size(), 2u);
  EXPECT_EQ(table->Match("s3cret"), "ci");
  EXPECT_EQ(table->Match("other"), "ops");
  EXPECT_FALSE(table->Match("s3cre"));
  EXPECT_FALSE(table->Match(""));
}

TEST(TokenTable, ABadLineNamesTheFileAndLine) {
  auto table = TokenTable::Parse("ci abc\n", "/etc/sloth/master-tokens");
  ASSERT_FALSE(table);
  EXPECT_EQ(table.error().message.rfind("/etc/sloth/master-tokens:1: expected \"NAME SHA256\"", 0), 0u)
      << table.error().message;
}

TEST(BearerToken, TakesTheTokenOfABearerHeaderOnly) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer  abc "), "abc");
  EXPECT_FALSE(BearerToken("Basic abc"));
  EXPECT_FALSE(BearerToken("Bearer "));
}

MasterAccess Access(bool insecure = false) {
  return MasterAccess({"alice"}, *TokenTable::Parse("ci " + HexDigest(Sha256("t0ken")) + "\n", "tokens"), insecure);
}

PeerCertificate Cert(std::string cn, std::vector<std::string> dns = {}) { return {std::move(cn), std::move(dns)}; }

TEST(MasterAccess, OperatorsByCertificateOrToken) {
  const MasterAccess access = Access();
  EXPECT_EQ(*access.AuthorizeOperator(Cert("alice"), std::nullopt), "cert:alice");
  EXPECT_EQ(*access.AuthorizeOperator(Cert("", {"alice"}), std::nullopt), "cert:alice");
  EXPECT_EQ(*access.AuthorizeOperator({}, "Bearer t0ken"), "token:ci");
  EXPECT_EQ(*access.AuthorizeOperator(Cert("a1"), "Bearer t0ken"), "token:ci");
}

TEST(MasterAccess, OperatorsRefusedSayWhyAndCountAReason) {
  const MasterAccess access = Access();
  auto none = access.AuthorizeOperator({}, std::nullopt);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().reason, "no_credentials");
  EXPECT_EQ(none.error().kind, AccessRefused::Kind::kUnauthenticated);
  auto wrong = access.AuthorizeOperator(Cert("alice"), "Bearer nope");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().reason, "bad_token");
  auto agent = access.AuthorizeOperator(Cert("a1", {"a1"}), std::nullopt);
  ASSERT_FALSE(agent);
  EXPECT_EQ(agent.error().reason, "not_operator");
  EXPECT_EQ(agent.error().kind, AccessRefused::Kind::kPermissionDenied);
  EXPECT_NE(agent.error().message.find("CN a1, DNS a1"), std::string::npos) << agent.error().message;
}

TEST(MasterAccess, AnAgentRegistersOnlyUnderANameItsCertificateCarries) {
  const MasterAccess access = Access();
  EXPECT_TRUE(access.AuthorizeAgent(Cert("a1"), "a1"));
  EXPECT_TRUE(access.AuthorizeAgent(Cert("host", {"a1", "a1.example"}), "a1.example"));
  auto other = access.AuthorizeAgent(Cert("a1", {"a1"}), "a2");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().reason, "identity_mismatch");
  auto none = access.AuthorizeAgent({}, "a1");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().reason, "no_certificate");
  auto operators = access.AuthorizeAgent(Cert("alice"), "alice");
  ASSERT_FALSE(operators);
  EXPECT_EQ(operators.error().reason, "identity_mismatch");
}

TEST(MasterAccess, InsecureLetsEveryoneIn) {
  const MasterAccess access = Access(true);
  EXPECT_EQ(*access.AuthorizeOperator({}, std::nullopt), "insecure:anonymous");
  EXPECT_TRUE(access.AuthorizeAgent({}, "anyone"));
}

}  // namespace
}  // namespace sloth
