#include "common/duration.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using sloth::Duration;
using sloth::FormatDuration;
using sloth::ParseDuration;

// The parsed value, or a duration no test expects, so that EXPECT_EQ shows the input's failure.
Duration Parsed(std::string_view text) {
  auto parsed = ParseDuration(text);
  return parsed ? *parsed : Duration::min();
}

// The failure's message, or "" when the text parsed.
std::string Refusal(std::string_view text) {
  auto parsed = ParseDuration(text);
  return parsed ? "" : parsed.error().message;
}

TEST(ParseDuration, ReadsOperatorSpellings) {
  EXPECT_EQ(Parsed("500ms"), Duration(500ms));
  EXPECT_EQ(Parsed("30s"), Duration(30s));
  EXPECT_EQ(Parsed("5m"), Duration(5min));
  EXPECT_EQ(Parsed("1h"), Duration(1h));
  EXPECT_EQ(Parsed("1m30s"), Duration(90s));
  EXPECT_EQ(Parsed("1.5s"), Duration(1500ms));
  EXPECT_EQ(Parsed("250us"), Duration(250us));
  EXPECT_EQ(Parsed("7ns"), Duration(7ns));
  EXPECT_EQ(Parsed("0s"), Duration(0));
}

TEST(ParseDuration, RefusesBadInputWithReason) {
  EXPECT_NE(Refusal("").find("empty"), std::string::npos);
  EXPECT_NE(Refusal("30").find("unit"), std::string::npos) << Refusal("30");
  EXPECT_FALSE(ParseDuration("5 minutes"));
  EXPECT_NE(Refusal("abc").find("expected a number"), std::string::npos) << Refusal("abc");
  EXPECT_FALSE(ParseDuration("-5s"));
  EXPECT_FALSE(ParseDuration("5d"));
  EXPECT_NE(Refusal("99999999999999h").find("too large"), std::string::npos) << Refusal("99999999999999h");
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

// Found by config_fuzz (tests/fuzz/corpus/config/crash-minute-and-microseconds.toml): past a second,
// the fraction was printed as a double, "1m3e-06s", which does not parse back.
TEST(FormatDuration, FractionsPastASecondAreExactDecimals) {
  EXPECT_EQ(FormatDuration(Duration(1min + 3us)), "1m0.000003s");
  EXPECT_EQ(FormatDuration(Duration(1500ms)), "1.5s");
  EXPECT_EQ(FormatDuration(Duration(2h + 1ns)), "2h0.000000001s");
  for (Duration d : {Duration(1min + 3us), Duration(1min + 3ms + 3us), Duration(61s + 7ns)}) {
    EXPECT_EQ(ParseDuration(FormatDuration(d)).value(), d) << FormatDuration(d);
  }
}
