#include "daemon/core/telemetry/openmetrics_writer.h"

#include <gtest/gtest.h>

#include "daemon/core/telemetry/telemetry.h"

namespace sloth {
namespace {

prometheus::MetricFamily Counter() {
  prometheus::MetricFamily f;
  f.name = "sloth_tasks_total";
  f.help = "Tasks \"finished\".";
  f.type = prometheus::MetricType::Counter;
  prometheus::ClientMetric m;
  m.label = {{"group", "a\"b"}};
  m.counter.value = 3;
  f.metric.push_back(m);
  return f;
}

prometheus::MetricFamily Histogram() {
  prometheus::MetricFamily f;
  f.name = "sloth_task_duration_seconds";
  f.help = "Task wall time.";
  f.type = prometheus::MetricType::Histogram;
  prometheus::ClientMetric m;
  m.label = {{"group", "adhoc"}, {"task", "build"}};
  m.histogram.sample_count = 2;
  m.histogram.sample_sum = 3.5;
  m.histogram.bucket = {{1, 0.5}, {1, 1}};
  m.histogram.bucket[0].cumulative_count = 1;
  m.histogram.bucket[0].upper_bound = 0.5;
  m.histogram.bucket[1].cumulative_count = 1;
  m.histogram.bucket[1].upper_bound = 1;
  f.metric.push_back(m);
  return f;
}

TEST(OpenMetricsWriter, CountersDropTotalFromTheirMetadataAndEscapeQuotesInHelp) {
  std::string out;
  WriteOpenMetricsFamily(Counter(), nullptr, &out);
  EXPECT_EQ(out,
            "# TYPE sloth_tasks counter\n"
            "# HELP sloth_tasks Tasks \\\"finished\\\".\n"
            "sloth_tasks_total{group=\"a\\\"b\"} 3\n");
}

TEST(OpenMetricsWriter, HistogramBucketsCarryTheirExemplar) {
  const Exemplar slow{"t-000042-ab12", 3.2, 1733000000.5};
  const ExemplarFinder finder = [&](const prometheus::ClientMetric&, size_t bucket) {
    return bucket == 2 ? &slow : nullptr;  // the +Inf bucket
  };
  std::string out;
  WriteOpenMetricsFamily(Histogram(), &finder, &out);
  EXPECT_EQ(out,
            "# TYPE sloth_task_duration_seconds histogram\n"
            "# HELP sloth_task_duration_seconds Task wall time.\n"
            "sloth_task_duration_seconds_bucket{group=\"adhoc\",task=\"build\",le=\"0.5\"} 1\n"
            "sloth_task_duration_seconds_bucket{group=\"adhoc\",task=\"build\",le=\"1\"} 1\n"
            "sloth_task_duration_seconds_bucket{group=\"adhoc\",task=\"build\",le=\"+Inf\"} 2 "
            "# {task_id=\"t-000042-ab12\"} 3.2 1733000000.500\n"
            "sloth_task_duration_seconds_count{group=\"adhoc\",task=\"build\"} 2\n"
            "sloth_task_duration_seconds_sum{group=\"adhoc\",task=\"build\"} 3.5\n");
}

TEST(OpenMetricsWriter, UntypedIsUnknownAndSingleSamplesFollowTheRules) {
  std::string out;
  WriteOpenMetricsFamilyHeader("x", "X.", prometheus::MetricType::Untyped, &out);
  WriteOpenMetricsSingleSample("process_cpu_seconds_total", "CPU.", prometheus::MetricType::Counter, 1.5, &out);
  AppendOpenMetricsEnd(&out);
  EXPECT_EQ(out,
            "# TYPE x unknown\n# HELP x X.\n"
            "# TYPE process_cpu_seconds counter\n# HELP process_cpu_seconds CPU.\n"
            "process_cpu_seconds_total 1.5\n# EOF\n");
}

// The scrape Prometheus asks for: exemplars on the bucket each task landed in, the last task
// per bucket, and "# EOF" last; the 0.0.4 scrape of the same telemetry has none of it.
TEST(TelemetryOpenMetrics, TheLastTaskPerBucketIsItsExemplar) {
  Telemetry t(CurrentBuildIdentity("om-test"), {});
  t.TaskStarted();
  t.TaskFinished("adhoc", "build", "success", 0.3, false, "t-000001-aaaa");
  t.TaskStarted();
  t.TaskFinished("adhoc", "build", "success", 0.4, false, "t-000002-bbbb");
  t.TaskStarted();
  t.TaskFinished("adhoc", "build", "failed", 42, false, "t-000003-cccc");
  MetricsBody body = t.Scrape(false, ExpositionFormat::kOpenMetrics);
  const std::string text = *body.catalog + body.runtime;
  EXPECT_NE(text.find("sloth_task_duration_seconds_bucket{group=\"adhoc\",task=\"build\",le=\"0.5\"} 2 "
                      "# {task_id=\"t-000002-bbbb\"} 0.4 "),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("t-000001-aaaa"), std::string::npos);
  EXPECT_NE(text.find("le=\"+Inf\"} 3 # {task_id=\"t-000003-cccc\"} 42 "), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE sloth_tasks counter\n"), std::string::npos);
  EXPECT_TRUE(text.ends_with("# EOF\n"));
  MetricsBody plain = t.Scrape(false, ExpositionFormat::kText004);
  const std::string text004 = *plain.catalog + plain.runtime;
  EXPECT_EQ(text004.find("task_id"), std::string::npos);
  EXPECT_EQ(text004.find("# EOF"), std::string::npos);
  EXPECT_EQ(*plain.catalog, *t.Scrape(false).catalog);
}

}  // namespace
}  // namespace sloth
