#include "daemon/http/basic_auth.h"

#include <crypt.h>

#include <gtest/gtest.h>

namespace sloth {
namespace {

// htpasswd -nbBC 4 alice secret
constexpr const char* kAliceHash = "$2y$04$FfeLBPqYw0KK3hkBNtc.6u4mfG2p/jgU5lhEOyAp33g6.nnJbr2XS";

TEST(BcryptMatches, ChecksWithLibcrypt) {
  auto scratch = std::make_unique<crypt_data>();
  EXPECT_TRUE(BcryptMatches("secret", kAliceHash, scratch.get()));
  EXPECT_FALSE(BcryptMatches("secreT", kAliceHash, scratch.get()));
  EXPECT_FALSE(BcryptMatches("", kAliceHash, scratch.get()));
  EXPECT_FALSE(BcryptMatches(std::string_view("secret\0x", 8), kAliceHash, scratch.get()));
}

TEST(BasicAuthCheck, AllowsOnlyTheRightPasswordOfAKnownUser) {
  BasicAuthCheck check(std::vector<BasicAuthUser>{{"alice", kAliceHash}});
  EXPECT_TRUE(check.Allows("alice", "secret"));
  EXPECT_FALSE(check.Allows("alice", "wrong"));
  EXPECT_FALSE(check.Allows("bob", "secret"));  // alice's password, but not alice
  EXPECT_FALSE(check.Allows("", ""));
}

TEST(BasicAuthCheck, CachesSoARepeatedScrapeRunsNoBcrypt) {
  BasicAuthCheck check(std::vector<BasicAuthUser>{{"alice", kAliceHash}});
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(check.Allows("alice", "secret"));
  EXPECT_EQ(check.bcrypt_runs(), 1u);
}

// Equal cost: a wrong password, and an unknown user, each run bcrypt once (against a hash of the
// same cost), like the right password's first time; repeated, each is a cache hit like it.
TEST(BasicAuthCheck, WrongPasswordsAndUnknownUsersCostWhatTheRightOneCosts) {
  std::vector<std::string> checked_hashes;
  BasicAuthCheck check(std::vector<BasicAuthUser>{{"alice", kAliceHash}},
                       [&](std::string_view password, const std::string& hash) {
                         checked_hashes.push_back(hash);
                         return password == "secret";
                       });
  EXPECT_TRUE(check.Allows("alice", "secret"));
  EXPECT_FALSE(check.Allows("alice", "wrong"));
  EXPECT_FALSE(check.Allows("mallory", "secret"));
  ASSERT_EQ(checked_hashes.size(), 3u);
  for (const auto& hash : checked_hashes) EXPECT_EQ(hash, kAliceHash);
  EXPECT_FALSE(check.Allows("alice", "wrong"));
  EXPECT_FALSE(check.Allows("mallory", "secret"));
  EXPECT_TRUE(check.Allows("alice", "secret"));
  EXPECT_EQ(checked_hashes.size(), 3u);
}

TEST(BasicAuthCheck, TheCacheStaysBounded) {
  int runs = 0;
  BasicAuthCheck check(std::vector<BasicAuthUser>{{"alice", kAliceHash}}, [&](std::string_view, const std::string&) {
    ++runs;
    return false;
  });
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(check.Allows("alice", std::to_string(i)));
  EXPECT_EQ(runs, 1000);
  EXPECT_FALSE(check.Allows("alice", "999"));  // recent: still cached
  EXPECT_EQ(runs, 1000);
}

}  // namespace
}  // namespace sloth
