#include "daemon/http/accept_encoding.h"

#include <gtest/gtest.h>

TEST(AcceptsGzip, FollowsRfc9110) {
  EXPECT_TRUE(sloth::AcceptsGzip("gzip"));
  EXPECT_TRUE(sloth::AcceptsGzip("gzip, deflate, br"));
  EXPECT_TRUE(sloth::AcceptsGzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(sloth::AcceptsGzip("*"));
  EXPECT_TRUE(sloth::AcceptsGzip("x-gzip"));
  EXPECT_TRUE(sloth::AcceptsGzip("identity;q=1, gzip ; q=0.1"));
  EXPECT_FALSE(sloth::AcceptsGzip(""));
  EXPECT_FALSE(sloth::AcceptsGzip("identity"));
  EXPECT_FALSE(sloth::AcceptsGzip("deflate, br"));
  EXPECT_FALSE(sloth::AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(sloth::AcceptsGzip("*, gzip;q=0"));
  EXPECT_FALSE(sloth::AcceptsGzip("*;q=0"));
  EXPECT_FALSE(sloth::AcceptsGzip("gzipped"));
}

TEST(PrefersOpenMetrics, WhenTheScraperRanksItFirst) {
  // What Prometheus 2.42 sends.
  EXPECT_TRUE(sloth::PrefersOpenMetrics(
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
      "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
  EXPECT_TRUE(sloth::PrefersOpenMetrics("application/openmetrics-text"));
  EXPECT_FALSE(sloth::PrefersOpenMetrics("text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5"));
  EXPECT_FALSE(sloth::PrefersOpenMetrics("application/openmetrics-text;q=0"));
  EXPECT_FALSE(sloth::PrefersOpenMetrics("*/*"));
  EXPECT_FALSE(sloth::PrefersOpenMetrics(""));
}
