#include "ctl/dashboard/fleet_model.h"

#include <cmath>

#include <gtest/gtest.h>

#include "ctl/dashboard/dashboard_model.h"

#include "tests/unit/ctl/dashboard/test_scrapes.h"

namespace sloth::dashboard {
namespace {

constexpr double kNow = 1'800'000'000;

TEST(BuildFleetRow, AnAnsweringAgentsFiguresFromItsScrape) {
  const prom::MetricSet scrape = testing::Parse(testing::BusyScrape());
  const FleetRow row = BuildFleetRow({"build-01", "up", "0.0.9", 0, &scrape, "", "direct"}, 0);
  EXPECT_TRUE(row.answered);
  EXPECT_EQ(row.version, "1.2.3") << "the scrape's version wins over the registry's";
  ASSERT_TRUE(row.tasks_total);
  EXPECT_GT(*row.tasks_total, 0);
  ASSERT_TRUE(row.success_rate);
  ASSERT_TRUE(row.worst_p99_s);
  EXPECT_FALSE(row.worst_task.empty());
  ASSERT_TRUE(row.resident_bytes);
  EXPECT_EQ(*row.resident_bytes, 50331648);
  EXPECT_EQ(row.source, "direct");
  // The same figures the agent's own dashboard shows.
  ModelInput input;
  input.scrape = &scrape;
  const DashboardModel model = BuildDashboardModel(input);
  EXPECT_EQ(*row.success_rate, *model.tasks.success_rate);
  EXPECT_EQ(*row.worst_p99_s, model.performance.front().p99_s);
}

TEST(BuildFleetRow, SilentDownAndGoneAgentsSayWhy) {
  const FleetRow silent = BuildFleetRow({"a", "up", "0.1.0", 0, nullptr, "deadline passed", ""}, 0);
  EXPECT_FALSE(silent.answered);
  EXPECT_EQ(silent.note, "no answer: deadline passed");
  EXPECT_FALSE(silent.tasks_total);
  const int64_t now_ms = static_cast<int64_t>(kNow * 1000);
  EXPECT_EQ(BuildFleetRow({"b", "down", "0.1.0", now_ms - 40000, nullptr, "", ""}, now_ms).note, "last heard 40s ago");
  EXPECT_EQ(BuildFleetRow({"c", "gone", "0.1.0", now_ms - 3 * 3600000, nullptr, "", ""}, now_ms).note,
            "last heard 3h ago");
}

TEST(BuildFleetModel, CountsByStatusAndAnswers) {
  const prom::MetricSet scrape = testing::Parse(testing::kIdleScrape);
  const FleetModel model = BuildFleetModel({{"a", "up", "", 0, &scrape, "", "direct"},
                                            {"b", "up", "", 0, nullptr, "no answer", ""},
                                            {"c", "down", "", 0, nullptr, "", ""}},
                                           kNow, 2);
  EXPECT_EQ(model.up, 2u);
  EXPECT_EQ(model.down, 1u);
  EXPECT_EQ(model.answered, 1u);
  const auto json = FleetModelJson(model);
  EXPECT_EQ(json["agents"].size(), 3u);
  EXPECT_EQ(json["deadline_seconds"], 2);
  EXPECT_TRUE(json["agents"][1]["tasks_total"].is_null());
}

}  // namespace
}  // namespace sloth::dashboard
