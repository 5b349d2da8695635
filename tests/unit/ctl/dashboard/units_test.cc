#include <cmath>

#include <gtest/gtest.h>

#include "ctl/dashboard/units.h"

namespace sloth::dashboard {
namespace {

TEST(Units, DurationsLikeGrafana) {
  EXPECT_EQ(FormatDuration(0.0004), "400µs");
  EXPECT_EQ(FormatDuration(0.0004, false), "400us");
  EXPECT_EQ(FormatDuration(0.0042), "4.2ms");
  EXPECT_EQ(FormatDuration(0.25), "250ms");
  EXPECT_EQ(FormatDuration(1.5), "1.50s");
  EXPECT_EQ(FormatDuration(42), "42.0s");
  EXPECT_EQ(FormatDuration(95), "1m35s");
  EXPECT_EQ(FormatDuration(7300), "2h1m");
  EXPECT_EQ(FormatDuration(std::nan("")), "-");
}

TEST(Units, BytesPercentCountsRates) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(23732224), "22.6 MiB");
  EXPECT_EQ(FormatBytes(3.5 * 1024 * 1024 * 1024), "3.5 GiB");
  EXPECT_EQ(FormatPercent(0.753), "75.3%");
  EXPECT_EQ(FormatPercent(1), "100%");
  EXPECT_EQ(FormatPercent(0.99999), "99.9%");
  EXPECT_EQ(FormatCount(1234), "1234");
  EXPECT_EQ(FormatCount(123456), "123.5k");
  EXPECT_EQ(FormatRate(2.5), "2.5/s");
  EXPECT_EQ(FormatRate(0.4), "24/min");
  EXPECT_EQ(FormatUptime(93784), "1d2h");
  EXPECT_EQ(FormatUptime(192), "3m12s");
}

}  // namespace
}  // namespace sloth::dashboard
