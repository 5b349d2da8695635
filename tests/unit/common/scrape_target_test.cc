#include "common/scrape_target.h"

#include <gtest/gtest.h>

namespace sloth {
namespace {

TEST(ParseScrapeTarget, HostAndPortFromTheUrl) {
  auto target = ParseScrapeTarget("http://192.168.1.100:9464/metrics");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->scheme, "http");
  EXPECT_EQ(target->target, "192.168.1.100:9464");
  EXPECT_EQ(target->path, "/metrics");
}

TEST(ParseScrapeTarget, KeepsIpv6Brackets) {
  auto target = ParseScrapeTarget("http://[::1]:40123/metrics");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->target, "[::1]:40123");
}

TEST(ParseScrapeTarget, DefaultsThePortFromTheScheme) {
  EXPECT_EQ(ParseScrapeTarget("https://agent.example/metrics")->target, "agent.example:443");
  EXPECT_EQ(ParseScrapeTarget("http://user:pw@agent.example")->target, "agent.example:80");
  EXPECT_EQ(ParseScrapeTarget("http://[fe80::1]/m")->target, "[fe80::1]:80");
}

TEST(ParseScrapeTarget, RefusesWhatIsNotHttp) {
  EXPECT_FALSE(ParseScrapeTarget("ftp://h/metrics"));
  EXPECT_FALSE(ParseScrapeTarget("h:9464"));
  EXPECT_FALSE(ParseScrapeTarget("http://"));
  EXPECT_FALSE(ParseScrapeTarget("http://[::1/metrics"));
  EXPECT_FALSE(ParseScrapeTarget("http://h:port/metrics"));
}

}  // namespace
}  // namespace sloth
