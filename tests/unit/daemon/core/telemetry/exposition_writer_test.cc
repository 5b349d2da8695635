#include "daemon/core/telemetry/exposition_writer.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace {

std::string Value(double v) {
  std::string out;
  sloth::AppendValue(v, &out);
  return out;
}

}  // namespace

TEST(ExpositionWriter, NumbersReadBackExactly) {
  EXPECT_EQ(Value(0), "0");
  EXPECT_EQ(Value(42), "42");
  EXPECT_EQ(Value(-3), "-3");
  EXPECT_EQ(Value(0.005), "0.005");
  EXPECT_EQ(Value(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(Value(1e300), "1e+300");
  EXPECT_EQ(Value(INFINITY), "+Inf");
  EXPECT_EQ(Value(-INFINITY), "-Inf");
  EXPECT_EQ(Value(NAN), "NaN");
}

TEST(ExpositionWriter, EscapesLabelValuesAndHelp) {
  prometheus::MetricFamily f;
  f.name = "x_total";
  f.help = "a \\ back\nslash";
  f.type = prometheus::MetricType::Counter;
  prometheus::ClientMetric m;
  m.label = {{"path", "C:\\dir \"q\"\nnext"}};
  m.counter.value = 1;
  f.metric.push_back(m);
  std::string out;
  sloth::WriteExposition({f}, &out);
  EXPECT_EQ(out,
            "# HELP x_total a \\\\ back\\nslash\n"
            "# TYPE x_total counter\n"
            "x_total{path=\"C:\\\\dir \\\"q\\\"\\nnext\"} 1\n");
}

TEST(ExpositionWriter, HistogramHasCumulativeBucketsInfSumAndCount) {
  prometheus::Registry registry;
  auto& h = prometheus::BuildHistogram()
                .Name("d_seconds")
                .Help("h")
                .Register(registry)
                .Add({{"task", "t"}}, prometheus::Histogram::BucketBoundaries{0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  std::string out;
  sloth::WriteExposition(registry.Collect(), &out);
  EXPECT_EQ(out,
            "# HELP d_seconds h\n# TYPE d_seconds histogram\n"
            "d_seconds_bucket{task=\"t\",le=\"0.1\"} 1\n"
            "d_seconds_bucket{task=\"t\",le=\"1\"} 2\n"
            "d_seconds_bucket{task=\"t\",le=\"+Inf\"} 3\n"
            "d_seconds_sum{task=\"t\"} 5.55\n"
            "d_seconds_count{task=\"t\"} 3\n");
}

// Our writer and prometheus-cpp's TextSerializer must say the same thing (numbers aside,
// which we print in shortest round-trip form): compare line by line on a mixed registry.
TEST(ExpositionWriter, AgreesWithPrometheusCppTextSerializer) {
  prometheus::Registry registry;
  auto& c = prometheus::BuildCounter().Name("c_total").Help("counter").Register(registry);
  c.Add({{"a", "1"}}).Increment(3);
  c.Add({{"a", "2"}, {"b", "x"}}).Increment(7);
  prometheus::BuildHistogram()
      .Name("h")
      .Help("hist")
      .Register(registry)
      .Add({}, prometheus::Histogram::BucketBoundaries{1, 2})
      .Observe(1.5);
  std::string ours;
  sloth::WriteExposition(registry.Collect(), &ours);
  std::string theirs = prometheus::TextSerializer().Serialize(registry.Collect());
  // Same lines; only the order of _count/_sum/_bucket within a histogram differs (both valid:
  // we follow the Go client's order, buckets first).
  auto sorted_lines = [](const std::string& text) {
    std::vector<std::string> lines;
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  EXPECT_EQ(sorted_lines(ours), sorted_lines(theirs));
  EXPECT_LT(ours.find("h_bucket{le=\"1\"}"), ours.find("h_count"));
}
