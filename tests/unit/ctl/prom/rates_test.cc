#include "ctl/prom/rates.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "ctl/prom/text_parser.h"

namespace sloth::prom {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(CounterRate, EmptyAndSinglePointHaveNoRate) {
  EXPECT_EQ(CounterIncrease({}), std::nullopt);
  EXPECT_EQ(CounterRate({}), std::nullopt);
  const std::vector<Point> one = {{10, 5}};
  EXPECT_EQ(CounterIncrease(one), std::nullopt);
  EXPECT_EQ(CounterRate(one), std::nullopt);
}

TEST(CounterRate, SteadyCounter) {
  const std::vector<Point> p = {{0, 10}, {5, 20}, {10, 40}};
  EXPECT_DOUBLE_EQ(*CounterIncrease(p), 30);
  EXPECT_DOUBLE_EQ(*CounterRate(p), 3);
}

TEST(CounterRate, ADropIsAResetAndThePostResetValueCounts) {
  // 10 → 25 (+15), reset, 0 → 4 (+4), 4 → 9 (+5).
  const std::vector<Point> p = {{0, 10}, {1, 25}, {2, 4}, {3, 9}};
  EXPECT_DOUBLE_EQ(*CounterIncrease(p), 24);
  EXPECT_DOUBLE_EQ(*CounterRate(p), 8);
  const std::vector<Point> two_resets = {{0, 5}, {1, 2}, {2, 1}};
  EXPECT_DOUBLE_EQ(*CounterIncrease(two_resets), 3);  // +2, +1
}

TEST(CounterRate, NoTimeSpannedHasNoRate) {
  const std::vector<Point> p = {{3, 1}, {3, 2}};
  EXPECT_DOUBLE_EQ(*CounterIncrease(p), 1);
  EXPECT_EQ(CounterRate(p), std::nullopt);
}

TEST(SeriesKey, LabelsAreEscapedSoKeysNeverCollide) {
  EXPECT_EQ(SeriesKey("m", {}), "m");
  EXPECT_EQ(SeriesKey("m", {{"a", "x\"y"}, {"b", "1\n"}}), "m{a=\"x\\\"y\",b=\"1\\n\"}");
  EXPECT_NE(SeriesKey("m", {{"a", "1\",b=\"2"}}), SeriesKey("m", {{"a", "1"}, {"b", "2"}}));
}

TEST(History, KeepsTheLastNPointsOldestFirst) {
  History h(3);
  for (int i = 1; i <= 5; ++i) h.Add("k", {double(i), double(i * 10)});
  const auto p = h.Points("k");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].time_s, 3);
  EXPECT_EQ(p[2].value, 50);
  EXPECT_TRUE(h.Points("unknown").empty());
  h.Add("k", {4, 0});  // not newer than the newest point: ignored
  EXPECT_EQ(h.Points("k").back().time_s, 5);
}

TEST(History, RecordsScrapesAndForgetsVanishedSeries) {
  History h(2);
  auto scrape = [](std::string_view text) { return std::get<MetricSet>(PromTextParser::Parse(text)); };
  h.Record(0, scrape("c{a=\"1\"} 1\ngone 1\n"));
  h.Record(5, scrape("c{a=\"1\"} 11\n"));
  EXPECT_DOUBLE_EQ(*CounterRate(h.Points(SeriesKey("c", {{"a", "1"}}))), 2);
  EXPECT_EQ(h.Points("gone").size(), 1u);
  h.Record(10, scrape("c{a=\"1\"} 12\n"));
  EXPECT_TRUE(h.Points("gone").empty());
  EXPECT_EQ(h.series_count(), 1u);
}

TEST(HistogramDelta, SubtractsPerBoundSumAndCount) {
  const HistogramSeries before{{{"task", "a"}}, {{1, 2}, {kInf, 3}}, 3.0, 3.0};
  const HistogramSeries after{{{"task", "a"}}, {{1, 2}, {2, 4}, {kInf, 7}}, 9.0, 7.0};
  const HistogramSeries d = HistogramDelta(before, after);
  ASSERT_EQ(d.buckets.size(), 3u);
  EXPECT_EQ(d.buckets[0].count, 0);
  EXPECT_EQ(d.buckets[1].count, 4);  // new bucket counts from zero
  EXPECT_EQ(d.buckets[2].count, 4);
  EXPECT_EQ(d.sum, 6);
  EXPECT_EQ(d.count, 4);
  EXPECT_DOUBLE_EQ(HistogramQuantile(0.5, d.buckets), 1.5);  // only the last interval's observations
}

TEST(HistogramDelta, AResetYieldsTheNewHistogram) {
  const HistogramSeries before{{}, {{1, 5}, {kInf, 9}}, 20.0, 9.0};
  const HistogramSeries after{{}, {{1, 1}, {kInf, 2}}, 1.5, 2.0};
  const HistogramSeries d = HistogramDelta(before, after);
  EXPECT_EQ(d.buckets[0].count, 1);
  EXPECT_EQ(d.buckets[1].count, 2);
  EXPECT_EQ(d.count, 2);
  EXPECT_EQ(d.sum, 1.5);
}

TEST(HistogramDelta, NoNewObservationsGiveANaNQuantile) {
  const HistogramSeries s{{}, {{1, 5}, {kInf, 9}}, 20.0, 9.0};
  EXPECT_TRUE(std::isnan(HistogramQuantile(0.99, HistogramDelta(s, s).buckets)));
}

}  // namespace
}  // namespace sloth::prom
