#include "daemon/core/telemetry/catalog.h"

#include <set>

#include <gtest/gtest.h>

#include "daemon/core/telemetry/telemetry.h"

namespace {

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& families, std::string_view name) {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::set<std::string> LabelNames(const prometheus::ClientMetric& m) {
  std::set<std::string> names;
  for (const auto& l : m.label) names.insert(l.name);
  return names;
}

// A telemetry where every labelled family has at least one series.
sloth::Telemetry& Exercised() {
  static sloth::Telemetry t(sloth::CurrentBuildIdentity("catalog-test"), {});
  static bool once = [] {
    t.TaskStarted();
    t.TaskFinished("deploy", "build", "success", 0.3, true);
    t.GroupFinished("deploy", "success", 1.5);
    t.GrpcRequestServed("/sloth.v1.Agent/RunTask", "OK", 0.002);
    t.ErrorOccurred("task_spawn");
    t.TaskAccounted("deploy", "build", 1.25, 64 << 20);
    return true;
  }();
  (void)once;
  return t;
}

}  // namespace

TEST(Catalog, EveryFamilyIsExposedWithHelpAndType) {
  sloth::Telemetry fresh(sloth::CurrentBuildIdentity("fresh"), {});
  const std::string text = fresh.ExpositionText();
  for (const auto* spec : sloth::catalog::kAll) {
    const std::string type_line = "# TYPE " + std::string(spec->name) + " ";
    EXPECT_NE(text.find(type_line), std::string::npos) << spec->name << " missing from a fresh agent's exposition";
    EXPECT_NE(text.find("# HELP " + std::string(spec->name) + " "), std::string::npos) << spec->name;
  }
}

TEST(Catalog, OriginalFamiliesKeepTheirNamesTypesAndLabels) {
  const auto families = Exercised().registry().Collect();
  struct Expect {
    const char* name;
    prometheus::MetricType type;
    std::set<std::string> labels;
  };
  const Expect expected[] = {
      {"sloth_tasks_total", prometheus::MetricType::Counter, {"status", "group"}},
      {"sloth_tasks_running", prometheus::MetricType::Gauge, {}},
      {"sloth_task_duration_seconds", prometheus::MetricType::Histogram, {"group", "task"}},
      {"sloth_grpc_requests_total", prometheus::MetricType::Counter, {"method", "status"}},
      {"sloth_grpc_request_duration_seconds", prometheus::MetricType::Histogram, {"method"}},
      {"sloth_errors_total", prometheus::MetricType::Counter, {"type"}},
      {"sloth_agent_info", prometheus::MetricType::Gauge, {"version", "os", "arch"}},
      {"sloth_build_info", prometheus::MetricType::Gauge, {"version", "commit", "compiler"}},
      {"sloth_task_groups_total", prometheus::MetricType::Counter, {"status", "group"}},
      {"sloth_task_group_duration_seconds", prometheus::MetricType::Histogram, {"group"}},
      {"sloth_task_output_truncated_total", prometheus::MetricType::Counter, {}},
      {"sloth_task_cpu_seconds_total", prometheus::MetricType::Counter, {"group", "task"}},
      {"sloth_task_memory_peak_bytes", prometheus::MetricType::Histogram, {"group", "task"}},
  };
  for (const auto& e : expected) {
    const auto* f = Find(families, e.name);
    ASSERT_NE(f, nullptr) << e.name;
    EXPECT_EQ(f->type, e.type) << e.name;
    ASSERT_FALSE(f->metric.empty()) << e.name;
    for (const auto& m : f->metric) EXPECT_EQ(LabelNames(m), e.labels) << e.name;
  }
}

TEST(Catalog, HistogramsUseTheDocumentedBuckets) {
  const auto families = Exercised().registry().Collect();
  auto bounds = [&](const char* name) {
    std::vector<double> b;
    const auto* f = Find(families, name);
    EXPECT_NE(f, nullptr) << name;
    if (!f) return b;
    for (const auto& bucket : f->metric.at(0).histogram.bucket) b.push_back(bucket.upper_bound);
    return b;
  };
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(bounds("sloth_task_duration_seconds"),
            (std::vector<double>{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, inf}));
  EXPECT_EQ(bounds("sloth_grpc_request_duration_seconds"),
            (std::vector<double>{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, inf}));
  EXPECT_EQ(bounds("sloth_task_group_duration_seconds"),
            (std::vector<double>{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, inf}));
  const double mib = 1 << 20;
  EXPECT_EQ(bounds("sloth_task_memory_peak_bytes"), (std::vector<double>{mib, 4 * mib, 16 * mib, 64 * mib, 256 * mib,
                                                                         1024 * mib, 4096 * mib, 16384 * mib, inf}));
}

TEST(Catalog, RuntimeGaugesAreCorrectFromTheFirstScrape) {
  sloth::Telemetry t(sloth::CurrentBuildIdentity("first-scrape"), {});
  const std::string text = t.ExpositionText();
  EXPECT_NE(text.find("\nsloth_agent_uptime_seconds "), std::string::npos);
  EXPECT_EQ(text.find("\nsloth_goroutines 0\n"), std::string::npos) << "threads must be read, not defaulted";
  EXPECT_EQ(text.find("\nprocess_resident_memory_bytes 0\n"), std::string::npos);
  EXPECT_NE(text.find("sloth_agent_info{arch=\""), std::string::npos);
  EXPECT_NE(text.find("sloth_errors_total{type=\"task_timeout\"} 0\n"), std::string::npos)
      << "known error types start at 0 so rate() works before the first error";
}

TEST(Catalog, ScrapeReusesTheCatalogUntilAMetricChanges) {
  sloth::Telemetry t(sloth::CurrentBuildIdentity("cache"), {});
  auto first = t.Scrape(false);
  auto second = t.Scrape(false);
  EXPECT_EQ(first.catalog.get(), second.catalog.get()) << "unchanged catalog must be reused";
  t.ErrorOccurred("config");
  auto third = t.Scrape(false);
  EXPECT_NE(third.catalog.get(), second.catalog.get());
  EXPECT_NE(third.catalog->find("sloth_errors_total{type=\"config\"} 1\n"), std::string::npos);
}

TEST(Catalog, UserLabelValuesAreCappedToOther) {
  sloth::Telemetry t(sloth::CurrentBuildIdentity("cap"), sloth::Telemetry::Options{.max_label_values = 3});
  for (int i = 0; i < 10; ++i) {
    t.TaskStarted();
    t.TaskFinished("adhoc", "task-" + std::to_string(i), "success", 0.01, false);
  }
  const std::string text = t.ExpositionText();
  EXPECT_NE(text.find("task=\"task-2\""), std::string::npos);
  EXPECT_EQ(text.find("task=\"task-3\""), std::string::npos);
  EXPECT_NE(text.find("sloth_task_duration_seconds_count{group=\"adhoc\",task=\"_other\"} 7\n"), std::string::npos)
      << text;
}
