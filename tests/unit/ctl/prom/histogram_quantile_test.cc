#include "ctl/prom/histogram_quantile.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "ctl/prom/text_parser.h"

namespace sloth::prom {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// 10 observations: 2 in (0,1], 6 in (1,2], 2 in (2,4], none above.
const std::vector<Bucket> kTen = {{1, 2}, {2, 8}, {4, 10}, {kInf, 10}};

TEST(HistogramQuantile, InterpolatesLinearlyWithinTheBucket) {
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, kTen), 1 + (5.0 - 2) / 6);  // rank 5 in (1,2]
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.9, kTen), 2 + 2 * (1.0 / 2));  // rank 9 in (2,4]
}

TEST(HistogramQuantile, FirstBucketInterpolatesFromZero) {
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.1, kTen), 0.5);  // rank 1 of 2 in (0,1]
}

TEST(HistogramQuantile, QZeroIsTheLowerEdgeAndQOneTheUpperEdgeOfTheData) {
  EXPECT_DOUBLE_EQ(HistogramQuantile(0, kTen), 0);
  EXPECT_DOUBLE_EQ(HistogramQuantile(1, kTen), 4);  // rank 10 reached at le=4
}

TEST(HistogramQuantile, RankInTheInfBucketGivesTheHighestFiniteBound) {
  const std::vector<Bucket> b = {{1, 1}, {2, 2}, {kInf, 10}};
  EXPECT_EQ(HistogramQuantile(0.5, b), 2);
  EXPECT_EQ(HistogramQuantile(1, b), 2);
}

TEST(HistogramQuantile, OrderOfBucketsDoesNotMatter) {
  const std::vector<Bucket> shuffled = {{kInf, 10}, {2, 8}, {4, 10}, {1, 2}};
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, shuffled), HistogramQuantile(0.5, kTen));
}

TEST(HistogramQuantile, OutOfRangeAndNaNQuantiles) {
  EXPECT_EQ(HistogramQuantile(-0.1, kTen), -kInf);
  EXPECT_EQ(HistogramQuantile(1.1, kTen), kInf);
  EXPECT_TRUE(std::isnan(HistogramQuantile(kNaN, kTen)));
  EXPECT_EQ(HistogramQuantile(-1, {}), -kInf);  // checked before the buckets
}

TEST(HistogramQuantile, NoInfBucketIsNaN) { EXPECT_TRUE(std::isnan(HistogramQuantile(0.5, {{1, 1}, {2, 2}}))); }

TEST(HistogramQuantile, EmptyOrUnobservedHistogramIsNaN) {
  EXPECT_TRUE(std::isnan(HistogramQuantile(0.5, {})));
  EXPECT_TRUE(std::isnan(HistogramQuantile(0.5, {{1, 0}, {kInf, 0}})));
}

TEST(HistogramQuantile, OnlyTheInfBucketIsNaN) {
  EXPECT_TRUE(std::isnan(HistogramQuantile(0.5, {{kInf, 5}})));
  EXPECT_TRUE(std::isnan(HistogramQuantile(0.5, {{kInf, 2}, {kInf, 3}})));  // merged: still one bound
}

TEST(HistogramQuantile, SingleFiniteBucket) {
  const std::vector<Bucket> b = {{0.5, 4}, {kInf, 4}};
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, b), 0.25);
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.99, b), 0.495);
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, {{0.5, 0}, {kInf, 4}}), 0.5);  // all above: highest finite bound
}

TEST(HistogramQuantile, NonMonotonicCountsAreRaisedToTheRunningMaximum) {
  // Counts 5, 3, 8 become 5, 5, 8.
  const std::vector<Bucket> b = {{1, 5}, {2, 3}, {3, 8}, {kInf, 8}};
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, b), 0.8);           // rank 4 in (0,1]
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.75, b), 2 + 1.0 / 3);  // rank 6: (2,3] holds 3
  // A +Inf bucket below the finite ones is raised too: observations = 8.
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, {{1, 4}, {2, 8}, {kInf, 1}}), 1);
}

TEST(HistogramQuantile, EqualBoundsAreMergedByAddingCounts) {
  const std::vector<Bucket> b = {{1, 1}, {1, 1}, {2, 4}, {kInf, 4}};  // → {1:2, 2:4, +Inf:4}
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.25, b), 0.5);
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.75, b), 1.5);
}

TEST(HistogramQuantile, NegativeBounds) {
  const std::vector<Bucket> b = {{-2, 2}, {-1, 4}, {0, 6}, {kInf, 8}};
  EXPECT_EQ(HistogramQuantile(0.1, b), -2);  // first bucket, bound ≤ 0: the bound itself
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.375, b), -1.5);
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.625, b), -0.5);
  EXPECT_EQ(HistogramQuantile(0.9, b), 0);
  EXPECT_EQ(HistogramQuantile(0.5, {{0, 3}, {kInf, 4}}), 0);  // first bound exactly 0
}

TEST(HistogramQuantile, NaNBoundsAreIgnored) {
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, {{kNaN, 100}, {1, 2}, {kInf, 2}}), 0.5);
}

TEST(Histograms, GroupsBucketsSumAndCountBySeriesWithoutLe) {
  auto parsed = PromTextParser::Parse(
      "# TYPE d histogram\n"
      "d_bucket{task=\"a\",le=\"1\"} 1\n"
      "d_bucket{task=\"b\",le=\"1\"} 0\n"
      "d_bucket{task=\"a\",le=\"+Inf\"} 3\n"
      "d_bucket{task=\"b\",le=\"+Inf\"} 2\n"
      "d_bucket{task=\"a\"} 9\n"
      "d_bucket{task=\"a\",le=\"x\"} 9\n"
      "d_sum{task=\"a\"} 4.5\nd_count{task=\"a\"} 3\n"
      "d_sum{task=\"b\"} 7\nd_count{task=\"b\"} 2\n");
  const auto& set = std::get<MetricSet>(parsed);
  auto series = Histograms(*set.Find("d"));
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].labels, (Labels{{"task", "a"}}));
  ASSERT_EQ(series[0].buckets.size(), 2u);  // the bucket without le and the one with le="x" are skipped
  EXPECT_EQ(series[0].buckets[1].upper_bound, kInf);
  EXPECT_EQ(series[0].buckets[1].count, 3);
  EXPECT_EQ(series[0].sum, 4.5);
  EXPECT_EQ(series[0].count, 3);
  EXPECT_EQ(series[1].labels, (Labels{{"task", "b"}}));
  EXPECT_EQ(series[1].sum, 7);
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, series[0].buckets), 1);
}

TEST(SumBy, AddsBucketsOfEqualBoundsPerGroup) {
  std::vector<HistogramSeries> in = {
      {{{"group", "g"}, {"task", "a"}}, {{1, 1}, {kInf, 2}}, 3, 2},
      {{{"group", "g"}, {"task", "b"}}, {{1, 2}, {2, 3}, {kInf, 4}}, 5, 4},
      {{{"group", "h"}, {"task", "c"}}, {{1, 0}, {kInf, 1}}, 9, 1},
  };
  auto out = SumBy(in, {"group"});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].labels, (Labels{{"group", "g"}}));
  ASSERT_EQ(out[0].buckets.size(), 3u);
  EXPECT_EQ(out[0].buckets[0].count, 3);
  EXPECT_EQ(out[0].buckets[1].upper_bound, kInf);
  EXPECT_EQ(out[0].buckets[1].count, 6);
  EXPECT_EQ(out[0].sum, 8);
  EXPECT_EQ(out[0].count, 6);
  EXPECT_EQ(SumBy(in, {}).size(), 1u);
}

}  // namespace
}  // namespace sloth::prom
