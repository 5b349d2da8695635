#include "ctl/dashboard/dashboard_model.h"

#include <cmath>

#include <gtest/gtest.h>

#include "test_scrapes.h"

namespace sloth::dashboard {
namespace {

using testing::BusyScrape;
using testing::Parse;

DashboardModel ModelOf(const prom::MetricSet& scrape, const prom::History* history = nullptr,
                       const prom::MetricSet* previous = nullptr) {
  ModelInput input;
  input.agent = "a1";
  input.scrape = &scrape;
  input.history = history;
  input.previous = previous;
  input.updated_unix_s = 1700000000;
  input.healthy = true;
  return BuildDashboardModel(input);
}

const TaskPerformance& Row(const DashboardModel& model, const std::string& task) {
  for (const auto& row : model.performance) {
    if (row.task == task) return row;
  }
  throw std::runtime_error("no row " + task);
}

TEST(DashboardModel, SpeedThresholdsAreStrictlyAboveOneAndFiveSeconds) {
  EXPECT_EQ(SpeedOfP99(0.2), Speed::kFast);
  EXPECT_EQ(SpeedOfP99(1.0), Speed::kFast);
  EXPECT_EQ(SpeedOfP99(1.0001), Speed::kNormal);
  EXPECT_EQ(SpeedOfP99(5.0), Speed::kNormal);
  EXPECT_EQ(SpeedOfP99(5.01), Speed::kSlow);
  EXPECT_EQ(SpeedOfP99(std::nan("")), Speed::kUnknown);
}

TEST(DashboardModel, HeaderComesFromAgentInfoAndUptime) {
  const auto model = ModelOf(Parse(BusyScrape()));
  EXPECT_EQ(model.header.agent, "a1");
  EXPECT_EQ(model.header.version, "1.2.3");
  EXPECT_EQ(model.header.os, "linux");
  EXPECT_EQ(model.header.arch, "arm64");
  EXPECT_DOUBLE_EQ(*model.header.uptime_s, 93784);
  EXPECT_EQ(model.header.healthy, std::optional<bool>(true));
}

TEST(DashboardModel, TaskPercentilesUseHistogramBucketsWithPromQlInterpolation) {
  const auto model = ModelOf(Parse(BusyScrape()));
  const auto& compile = Row(model, "compile");
  EXPECT_DOUBLE_EQ(compile.count, 45);
  EXPECT_NEAR(compile.p50_s, 0.1 + 0.4 * (22.5 - 20) / 25, 1e-9);
  EXPECT_NEAR(compile.p99_s, 0.1 + 0.4 * (44.55 - 20) / 25, 1e-9);
  EXPECT_EQ(compile.speed, Speed::kFast);
  const auto& rollout = Row(model, "rollout");
  EXPECT_NEAR(rollout.p99_s, 1 + 4 * (7.92 - 4) / 4, 1e-9);
  EXPECT_EQ(rollout.speed, Speed::kNormal);
  const auto& migrate = Row(model, "migrate-a-very-long-database-name");
  EXPECT_NEAR(migrate.p99_s, 5 + 5 * (3.96 - 1) / 3, 1e-9);
  EXPECT_EQ(migrate.speed, Speed::kSlow);
}

TEST(DashboardModel, TaskRowsAreSortedSlowestFirstAndUnobservedLast) {
  const auto model = ModelOf(Parse(BusyScrape()));
  ASSERT_EQ(model.performance.size(), 4u);
  EXPECT_EQ(model.performance[0].task, "migrate-a-very-long-database-name");
  EXPECT_EQ(model.performance[1].task, "rollout");
  EXPECT_EQ(model.performance[2].task, "compile");
  EXPECT_EQ(model.performance[3].task, "idle");
  EXPECT_TRUE(std::isnan(model.performance[3].p99_s));
  EXPECT_EQ(model.performance[3].speed, Speed::kUnknown);
}

TEST(DashboardModel, TaskRowsShowCpuAndPeakMemoryPerRun) {
  const auto model = ModelOf(Parse(BusyScrape()));
  EXPECT_DOUBLE_EQ(*Row(model, "compile").cpu_s_per_run, 0.5);
  EXPECT_DOUBLE_EQ(*Row(model, "compile").memory_peak_bytes, 64.0 * (1 << 20));
  EXPECT_DOUBLE_EQ(*Row(model, "rollout").cpu_s_per_run, 1.5);
  EXPECT_EQ(Row(model, "migrate-a-very-long-database-name").cpu_s_per_run, std::nullopt);  // never measured
  EXPECT_EQ(Row(model, "migrate-a-very-long-database-name").memory_peak_bytes, std::nullopt);
}

TEST(DashboardModel, EachRowKnowsItsSlowestRecentRun) {
  const auto scrape = Parse(BusyScrape());
  const std::vector<TaskRun> runs = {{"deploy", "migrate-a-very-long-database-name", "t-000001-aaaa", 6.5},
                                     {"deploy", "migrate-a-very-long-database-name", "t-000002-bbbb", 9.25},
                                     {"deploy", "migrate-a-very-long-database-name", "t-000003-cccc", 7},
                                     {"other", "migrate-a-very-long-database-name", "t-000004-dddd", 60}};
  ModelInput input;
  input.agent = "a1";
  input.scrape = &scrape;
  input.recent_runs = &runs;
  const auto model = BuildDashboardModel(input);
  const auto& migrate = Row(model, "migrate-a-very-long-database-name");
  ASSERT_TRUE(migrate.slowest_run);
  EXPECT_EQ(migrate.slowest_run->id, "t-000002-bbbb");
  EXPECT_EQ(JournalctlCommand(*migrate.slowest_run), "journalctl SLOTH_TASK_ID=t-000002-bbbb");
  EXPECT_FALSE(Row(model, "compile").slowest_run);
  const auto json = DashboardModelJson(model);
  EXPECT_EQ(json["task_performance"][0]["slowest_run"]["journal"], "journalctl SLOTH_TASK_ID=t-000002-bbbb");
  EXPECT_TRUE(json["task_performance"][1]["slowest_run"].is_null());
}

TEST(DashboardModel, TaskTotalsBySuccessRateIgnoringSkipped) {
  const auto model = ModelOf(Parse(BusyScrape()));
  EXPECT_DOUBLE_EQ(model.tasks.success, 48);
  EXPECT_DOUBLE_EQ(model.tasks.failed, 5);
  EXPECT_DOUBLE_EQ(model.tasks.skipped, 3);
  EXPECT_DOUBLE_EQ(model.tasks.total, 56);
  EXPECT_DOUBLE_EQ(model.tasks.running, 2);
  EXPECT_DOUBLE_EQ(*model.tasks.success_rate, 48.0 / 53);
  EXPECT_FALSE(model.tasks.rate_per_s) << "no rate from a single scrape";
}

TEST(DashboardModel, GrpcMethodsCountNonOkStatusesAsErrors) {
  const auto model = ModelOf(Parse(BusyScrape()));
  ASSERT_EQ(model.grpc.size(), 2u);
  EXPECT_EQ(model.grpc[0].method, "sloth.v1.Agent/GetInfo");  // most requests first
  EXPECT_DOUBLE_EQ(*model.grpc[0].error_ratio, 0);
  EXPECT_EQ(model.grpc[1].method, "sloth.v1.Agent/RunTask");
  EXPECT_DOUBLE_EQ(model.grpc[1].requests, 100);
  EXPECT_DOUBLE_EQ(*model.grpc[1].error_ratio, 0.1);
  EXPECT_NEAR(model.grpc[1].p50_s, 0.1, 1e-9);
  EXPECT_NEAR(model.grpc[1].p99_s, 1.0, 1e-9);  // rank in the +Inf bucket: the highest bound
}

TEST(DashboardModel, ErrorsByTypeMostFirst) {
  const auto model = ModelOf(Parse(BusyScrape()));
  ASSERT_EQ(model.errors.size(), 3u);
  EXPECT_EQ(model.errors[0].type, "grpc");
  EXPECT_EQ(model.errors[1].type, "task_timeout");
  EXPECT_EQ(model.errors[2].type, "task_spawn");
  EXPECT_DOUBLE_EQ(model.errors_total, 12);
}

TEST(DashboardModel, CpuWithoutHistoryIsTheAverageSinceStart) {
  const auto model = ModelOf(Parse(testing::kIdleScrape));
  ASSERT_TRUE(model.system.cpu_ratio);
  EXPECT_DOUBLE_EQ(*model.system.cpu_ratio, 0.25 / 12.5);
  EXPECT_TRUE(model.system.cpu_is_average);
  EXPECT_DOUBLE_EQ(*model.system.resident_bytes, 23732224);
  EXPECT_DOUBLE_EQ(*model.system.open_fds, 18);
  EXPECT_DOUBLE_EQ(*model.system.max_fds, 1024);
  EXPECT_DOUBLE_EQ(*model.system.threads, 14);
}

TEST(DashboardModel, RatesAndTrendsComeFromTheHistory) {
  prom::History history(10);
  const auto first = Parse(BusyScrape(40, 12.5, 50e6, 2));
  const auto second = Parse(BusyScrape(50, 13.5, 60e6, 4));
  RecordDashboardHistory(history, 100, first);
  RecordDashboardHistory(history, 110, second);
  const auto model = ModelOf(second, &history, &first);
  EXPECT_DOUBLE_EQ(*model.tasks.rate_per_s, 1.0);
  EXPECT_DOUBLE_EQ(*model.system.cpu_ratio, 0.1);
  EXPECT_FALSE(model.system.cpu_is_average);
  EXPECT_DOUBLE_EQ(*model.error_rate_per_s, 0.2);
  EXPECT_EQ(model.trends.task_rate_per_s, std::vector<double>({1.0}));
  EXPECT_EQ(model.trends.resident_bytes, std::vector<double>({50e6, 60e6}));
  EXPECT_EQ(model.history_scrapes, 2u);
}

TEST(DashboardModel, CounterResetBetweenScrapesCountsFromZero) {
  prom::History history(10);
  RecordDashboardHistory(history, 0, Parse(BusyScrape(40)));   // sum 56
  RecordDashboardHistory(history, 10, Parse(BusyScrape(50)));  // sum 66
  const auto restarted = Parse(R"(# TYPE sloth_tasks_total counter
sloth_tasks_total{group="build",status="success"} 21
)");
  RecordDashboardHistory(history, 20, restarted);
  const auto model = ModelOf(restarted, &history);
  EXPECT_DOUBLE_EQ(*model.tasks.rate_per_s, (10.0 + 21.0) / 20);
  EXPECT_EQ(model.trends.task_rate_per_s, std::vector<double>({1.0, 2.1}));
}

TEST(DashboardModel, RecentP99IsOverTheObservationsSinceThePreviousScrape) {
  const auto before = Parse(BusyScrape(40, 12.5, 50e6, 2, 4));
  const auto after = Parse(BusyScrape(40, 12.5, 50e6, 2, 6));
  const auto model = ModelOf(after, nullptr, &before);
  const auto& migrate = Row(model, "migrate-a-very-long-database-name");
  ASSERT_TRUE(migrate.recent_count);
  EXPECT_DOUBLE_EQ(*migrate.recent_count, 2);
  EXPECT_NEAR(*migrate.recent_p99_s, 5 + 5 * 1.98 / 2, 1e-9);
  EXPECT_FALSE(Row(model, "compile").recent_count) << "no new observations: no recent quantile";
}

TEST(DashboardModel, EmptyAgentHasNoTaskRowsAndNoSuccessRate) {
  const auto model = ModelOf(Parse(testing::kIdleScrape));
  EXPECT_TRUE(model.performance.empty());
  EXPECT_DOUBLE_EQ(model.tasks.total, 0);
  EXPECT_FALSE(model.tasks.success_rate);
  EXPECT_DOUBLE_EQ(model.errors_total, 0);
}

TEST(DashboardModel, ScrapeWithoutSlothFamiliesGivesAnEmptyModel) {
  const auto model = ModelOf(Parse("# TYPE other gauge\nother 1\n"));
  EXPECT_EQ(model.header.version, "");
  EXPECT_FALSE(model.header.uptime_s);
  EXPECT_FALSE(model.system.resident_bytes);
  EXPECT_TRUE(model.grpc.empty());
}

TEST(DashboardModel, JsonHasQuantilesAndNullForUnknowns) {
  const auto json = DashboardModelJson(ModelOf(Parse(BusyScrape())));
  EXPECT_EQ(json["task_performance"][0]["task"], "migrate-a-very-long-database-name");
  EXPECT_EQ(json["task_performance"][0]["speed"], "slow");
  EXPECT_TRUE(json["task_performance"][3]["p99_seconds"].is_null());
  EXPECT_EQ(json["tasks"]["total"], 56);
  EXPECT_TRUE(json["tasks"]["rate_per_second"].is_null());
  EXPECT_EQ(json["grpc"][1]["error_ratio"], 0.1);
  EXPECT_EQ(json["header"]["version"], "1.2.3");
}

}  // namespace
}  // namespace sloth::dashboard
