#include "common/duration.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using sloth::Duration;
using sloth::FormatDuration;
using sloth::ParseDuration;

TEST(ParseDuration, ReadsOperatorSpellings) {
  EXPECT_EQ(ParseDuration("500ms"), Duration(500ms));
  EXPECT_EQ(ParseDuration("30s"), Duration(30s));
  EXPECT_EQ(ParseDuration("5m"), Duration(5min));
  EXPECT_EQ(ParseDuration("1h"), Duration(1h));
  EXPECT_EQ(ParseDuration("1m30s"), Duration(90s));
  EXPECT_EQ(ParseDuration("1.5s"), Duration(1500ms));
  EXPECT_EQ(ParseDuration("250us"), Duration(250us));
  EXPECT_EQ(ParseDuration("7ns"), Duration(7ns));
  EXPECT_EQ(ParseDuration("0s"), Duration(0));
}

TEST(ParseDuration, RefusesBadInputWithReason) {
  std::string why;
  EXPECT_FALSE(ParseDuration("", &why));
  EXPECT_NE(why.find("empty"), std::string::npos);
  EXPECT_FALSE(ParseDuration("30", &why));
  EXPECT_NE(why.find("unit"), std::string::npos) << why;
  EXPECT_FALSE(ParseDuration("5 minutes", &why));
  EXPECT_FALSE(ParseDuration("abc", &why));
  EXPECT_NE(why.find("expected a number"), std::string::npos) << why;
  EXPECT_FALSE(ParseDuration("-5s", &why));
  EXPECT_FALSE(ParseDuration("5d", &why));
  EXPECT_FALSE(ParseDuration("99999999999999h", &why));
  EXPECT_NE(why.find("too large"), std::string::npos) << why;
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (Duration d : {Duration(0), Duration(500ms), Duration(30s), Duration(5min), Duration(1h), Duration(3723s),
                     Duration(1500ms), Duration(250us)}) {
    auto back = ParseDuration(FormatDuration(d));
    ASSERT_TRUE(back) << FormatDuration(d);
    EXPECT_EQ(*back, d) << FormatDuration(d);
  }
  EXPECT_EQ(FormatDuration(Duration(3723s)), "1h2m3s");
  EXPECT_EQ(FormatDuration(Duration(250ms)), "250ms");
}
