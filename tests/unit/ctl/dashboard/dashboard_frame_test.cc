#include "ctl/dashboard/dashboard_frame.h"

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ctl/dashboard/text_cells.h"
#include "test_scrapes.h"

namespace sloth::dashboard {
namespace {

using testing::BusyScrape;
using testing::Parse;

// The three models the golden frames are drawn from.
struct Models {
  prom::MetricSet idle = Parse(testing::kIdleScrape);
  prom::MetricSet busy_before = Parse(BusyScrape(40, 12.5, 50e6, 2, 4));
  prom::MetricSet busy = Parse(BusyScrape(50, 13.5, 60e6, 4, 6));
  prom::History history{20};

  Models() {
    setenv("TZ", "UTC", 1);
    tzset();
    for (int i = 0; i < 8; ++i) {  // a watch history with some movement
      RecordDashboardHistory(history, i * 5.0,
                             Parse(BusyScrape(40 + i * i, 12.5 + i * 0.1, 50e6 + (i % 3) * 4e6, 2 + i / 3)));
    }
    RecordDashboardHistory(history, 40, busy);
  }

  DashboardModel Idle() const { return Build(idle, nullptr, nullptr, true); }
  DashboardModel Busy() const { return Build(busy, nullptr, nullptr, false); }
  DashboardModel Watching() const { return Build(busy, &busy_before, &history, true); }

  static DashboardModel Build(const prom::MetricSet& scrape, const prom::MetricSet* previous,
                              const prom::History* history, bool healthy) {
    ModelInput input;
    input.agent = "web-01";
    input.scrape = &scrape;
    input.previous = previous;
    input.history = history;
    input.updated_unix_s = 1700000000;  // 22:13:20 UTC
    input.healthy = healthy;
    input.health_reason = healthy ? "" : "task runner stalled";
    return BuildDashboardModel(input);
  }
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Compares `frame` with golden/<name>.txt, or rewrites it when SLOTH_UPDATE_GOLDEN=1.
void ExpectGolden(const std::string& name, const std::string& frame) {
  const std::string path = std::string(SLOTH_DASHBOARD_GOLDEN_DIR) + "/" + name + ".txt";
  if (const char* update = std::getenv("SLOTH_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << frame;
    return;
  }
  const std::string golden = ReadFile(path);
  ASSERT_FALSE(golden.empty()) << path << " is missing: run with SLOTH_UPDATE_GOLDEN=1 to create it";
  EXPECT_EQ(frame, golden) << "frame differs from " << path << " (if the change is intended: SLOTH_UPDATE_GOLDEN=1)";
}

void ExpectFits(const std::string& frame, int cols) {
  std::istringstream lines(frame);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    EXPECT_LE(DisplayWidth(line), cols) << "line " << n << " overflows: " << line;
  }
}

struct GoldenCase {
  const char* model;
  int cols;
  bool colour;
};

class DashboardGolden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(DashboardGolden, FrameMatchesGoldenAndFitsTheWidth) {
  static const Models models;
  const auto& c = GetParam();
  const std::string which = c.model;
  FrameOptions options;
  options.cols = c.cols;
  options.style.colour = c.colour;
  options.style.graph = GraphStyle::kBraille;
  DashboardModel model;
  if (which == "idle") model = models.Idle();
  if (which == "busy") model = models.Busy();
  if (which == "watch") {
    model = models.Watching();
    options.style.graph = GraphStyle::kBlock;
    options.rows = 40;
    options.footer = " q quit · every 5s · 9 scrapes kept";
  }
  if (which == "ascii") {
    model = models.Watching();
    options.style = {c.colour, GraphStyle::kAscii, false, false};
    options.banner = "lost, retrying every 5s: cannot fetch metrics of agent 'web-01'";
  }
  const std::string frame = DashboardFrame(model, options);
  ExpectFits(frame, c.cols);
  if (!c.colour) {
    EXPECT_EQ(frame.find('\x1b'), std::string::npos) << "escape codes without colour";
  }
  ExpectGolden(fmt::format("{}_{}_{}", which, c.cols, c.colour ? "colour" : "plain"), frame);
}

std::vector<GoldenCase> AllCases() {
  std::vector<GoldenCase> cases;
  for (const char* model : {"idle", "busy", "watch", "ascii"}) {
    for (int cols : {60, 80, 120}) {
      for (bool colour : {false, true}) cases.push_back({model, cols, colour});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Frames, DashboardGolden, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<GoldenCase>& param_info) {
                           return fmt::format("{}_{}_{}", param_info.param.model, param_info.param.cols,
                                              param_info.param.colour ? "colour" : "plain");
                         });

TEST(DashboardFrame, EmptyStatesSayWhatToDo) {
  const Models models;
  const std::string frame = DashboardFrame(models.Idle(), {});
  EXPECT_NE(frame.find("No tasks yet — run `slothctl agent run web-01 \"echo test\"`"), std::string::npos);
  EXPECT_NE(frame.find("No task durations yet"), std::string::npos);
  EXPECT_NE(frame.find("No errors"), std::string::npos);
}

TEST(DashboardFrame, IndicatorCarriesTheWordNotColourAlone) {
  const Models models;
  FrameOptions options;
  options.style.emoji = false;
  const std::string frame = DashboardFrame(models.Busy(), options);
  EXPECT_NE(frame.find("Slow"), std::string::npos);
  EXPECT_NE(frame.find("Normal"), std::string::npos);
  EXPECT_NE(frame.find("Fast"), std::string::npos);
  EXPECT_LT(frame.find("Slow"), frame.find("Normal")) << "slowest first";
}

TEST(DashboardFrame, SlowTasksShowTheirSlowestRunAndItsJournalCommand) {
  const Models models;
  DashboardModel model = models.Busy();
  for (auto& row : model.performance)
    row.slowest_run = TaskRun{row.group, row.task, "t-0000" + row.task.substr(0, 2), 9};
  const std::string frame = DashboardFrame(model, {});
  EXPECT_NE(frame.find("slowest recent run t-0000mi (9.00s)"), std::string::npos) << frame;
  EXPECT_NE(frame.find("journalctl SLOTH_TASK_ID=t-0000mi"), std::string::npos) << frame;
  EXPECT_EQ(frame.find("t-0000co"), std::string::npos) << "only slow tasks get the line:\n" << frame;
}

TEST(DashboardFrame, SectionsInTheOriginalsOrder) {
  const Models models;
  const std::string frame = DashboardFrame(models.Busy(), {});
  const size_t positions[] = {frame.find("Sloth Runner"),     frame.find("System"), frame.find("Tasks"),
                              frame.find("Task Performance"), frame.find("gRPC"),   frame.find("Errors"),
                              frame.find("Summary")};
  for (size_t i = 1; i < std::size(positions); ++i) {
    ASSERT_NE(positions[i], std::string::npos);
    EXPECT_LT(positions[i - 1], positions[i]);
  }
}

// Workflow groups appear once a workflow has run: runs by how they ended, and P50/P99 of their
// wall time (skipped groups have none).
TEST(DashboardFrame, WorkflowGroupsShowTheirRunsOutcomesAndDurations) {
  const std::string groups =
      "# TYPE sloth_task_groups_total counter\n"
      "sloth_task_groups_total{group=\"release\",status=\"success\"} 3\n"
      "sloth_task_groups_total{group=\"release\",status=\"skipped\"} 1\n"
      "sloth_task_groups_total{group=\"app\",status=\"success\"} 3\n"
      "sloth_task_groups_total{group=\"app\",status=\"failed\"} 2\n"
      "# TYPE sloth_task_group_duration_seconds histogram\n"
      "sloth_task_group_duration_seconds_bucket{group=\"app\",le=\"1\"} 4\n"
      "sloth_task_group_duration_seconds_bucket{group=\"app\",le=\"10\"} 5\n"
      "sloth_task_group_duration_seconds_bucket{group=\"app\",le=\"+Inf\"} 5\n"
      "sloth_task_group_duration_seconds_sum{group=\"app\"} 12\n"
      "sloth_task_group_duration_seconds_count{group=\"app\"} 5\n";
  const prom::MetricSet scrape = Parse(BusyScrape() + groups);
  ModelInput input;
  input.agent = "web-01";
  input.scrape = &scrape;
  const DashboardModel model = BuildDashboardModel(input);
  ASSERT_EQ(model.workflow_groups.size(), 2u);
  EXPECT_EQ(model.workflow_groups[0].group, "app");  // most runs first
  EXPECT_EQ(model.workflow_groups[0].runs, 5);
  EXPECT_EQ(model.workflow_groups[0].failed, 2);
  EXPECT_EQ(model.workflow_groups[1].skipped, 1);
  EXPECT_TRUE(std::isnan(model.workflow_groups[1].p99_s));
  FrameOptions options;
  options.cols = 80;
  options.style.emoji = false;
  const std::string frame = DashboardFrame(model, options);
  EXPECT_NE(frame.find("Workflow Groups"), std::string::npos) << frame;
  EXPECT_NE(frame.find(" GROUP                         RUNS  SUCCESS   FAILED  SKIPPED      P50      P99\n"),
            std::string::npos)
      << frame;
  EXPECT_NE(frame.find(" app                              5        3        2        0    625ms    9.55s\n"),
            std::string::npos);
  EXPECT_NE(frame.find(" release                          4        3        0        1        -        -\n"),
            std::string::npos);
  EXPECT_LT(frame.find("Task Performance"), frame.find("Workflow Groups"));
  EXPECT_LT(frame.find("Workflow Groups"), frame.find("gRPC"));
  EXPECT_EQ(DashboardModelJson(model)["workflow_groups"][1]["group"], "release");
  // Before any workflow, no section.
  EXPECT_EQ(DashboardFrame(Models().Busy(), options).find("Workflow Groups"), std::string::npos);
}

TEST(DashboardFrame, RecentWorkflowRunsAreListedFirstInTheSection) {
  const prom::MetricSet scrape = Parse(BusyScrape());
  ModelInput input;
  input.agent = "web-01";
  input.scrape = &scrape;
  for (int i = 0; i < 7; ++i) {
    input.workflow_runs.push_back({"w-00000" + std::to_string(7 - i) + "-abcd", "deploy", i == 0 ? "running" : "failed",
                                   i == 1, 1.2, 3, 1, 2, i == 0 ? 1.0 : 0.0, 0});
  }
  const DashboardModel model = BuildDashboardModel(input);
  EXPECT_EQ(model.workflow_runs.size(), kRecentRunsShown);
  FrameOptions options;
  options.cols = 100;
  options.style.emoji = false;
  options.style.unicode = false;
  const std::string frame = DashboardFrame(model, options);
  EXPECT_NE(frame.find(" run w-000007-abcd  deploy  running  3 ok, 1 failed, 2 skipped, 1 running | 1.20s\n"),
            std::string::npos)
      << frame;
  EXPECT_NE(frame.find(" run w-000006-abcd  deploy  failed (cancelled)  3 ok, 1 failed, 2 skipped | 1.20s\n"),
            std::string::npos)
      << frame;
  EXPECT_EQ(frame.find("w-000002-abcd"), std::string::npos);  // past the five shown
  EXPECT_EQ(DashboardModelJson(model)["workflow_runs"][0]["running"], 1);
}

TEST(DashboardFrame, RowsLimitKeepsTheFooterAndSaysWhatIsHidden) {
  const Models models;
  FrameOptions options;
  options.rows = 12;
  options.footer = "q quit";
  const std::string frame = DashboardFrame(models.Busy(), options);
  EXPECT_EQ(std::count(frame.begin(), frame.end(), '\n'), 12);
  EXPECT_NE(frame.find("more lines: enlarge the window"), std::string::npos);
  EXPECT_TRUE(frame.ends_with("q quit\n"));
}

TEST(DashboardFrame, VeryNarrowTerminalsStillNeverOverflow) {
  const Models models;
  for (int cols : {1, 10, 30, 45}) {
    FrameOptions options;
    options.cols = cols;
    options.style.colour = true;
    ExpectFits(DashboardFrame(models.Watching(), options), cols);
  }
}

}  // namespace
}  // namespace sloth::dashboard
