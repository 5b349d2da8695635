#include <gtest/gtest.h>

#include "ctl/dashboard/graphs.h"

namespace sloth::dashboard {
namespace {

TEST(Graphs, BarsFillInEveryStyle) {
  EXPECT_EQ(Bar(0.5, 4, GraphStyle::kAscii), "##--");
  EXPECT_EQ(Bar(0.5, 4, GraphStyle::kBlock), "██░░");
  EXPECT_EQ(Bar(0.5, 4, GraphStyle::kBraille), "⣿⣿⣀⣀");
  EXPECT_EQ(Bar(0.75, 1, GraphStyle::kBlock), "▊") << "six eighths";
}

TEST(Graphs, SparklinesScaleToTheLargestValue) {
  EXPECT_EQ(Sparkline({0, 1, 2, 4}, 10, GraphStyle::kBlock), "▁▂▄█");
  EXPECT_EQ(Sparkline({0, 1, 2, 4}, 10, GraphStyle::kAscii), " :=#");
  EXPECT_EQ(Sparkline({0, 1, 2, 4}, 2, GraphStyle::kBlock), "▄█") << "the newest values that fit";
  EXPECT_EQ(Sparkline({0, 4}, 1, GraphStyle::kBraille), "⢸");
  EXPECT_EQ(Sparkline({10, 11}, 4, GraphStyle::kBlock, true), "▁█") << "gauges from their minimum";
  EXPECT_EQ(Sparkline({}, 4, GraphStyle::kBlock), "");
}

}  // namespace
}  // namespace sloth::dashboard
