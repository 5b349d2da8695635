#include "ctl/dashboard/fleet_frame.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ctl/dashboard/text_cells.h"
#include "tests/unit/ctl/dashboard/test_scrapes.h"

namespace sloth::dashboard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

FleetModel ThreeAgents(const prom::MetricSet& scrape) {
  return BuildFleetModel({{"build-01", "up", "", 0, &scrape, "", "direct"},
                          {"build-02", "up", "0.1.0", 0, nullptr, "not reached before the deadline", ""},
                          {"web-1", "down", "0.1.0", 1'799'999'960'000, nullptr, "", ""}},
                         1'800'000'000, 2);
}

TEST(FleetFrame, OneRowPerAgentWithWhyTheSilentOnesAreSilent) {
  const prom::MetricSet scrape = testing::Parse(testing::BusyScrape());
  FrameOptions options;
  options.cols = 150;
  options.style.unicode = true;
  options.style.emoji = false;
  const std::string frame = FleetFrame(ThreeAgents(scrape), options);
  EXPECT_THAT(frame, HasSubstr("fleet of 3 agents"));
  EXPECT_THAT(frame, HasSubstr("2 up · 1 down · 0 gone · 1 of 2 up answered within 2.00s"));
  EXPECT_THAT(frame, HasSubstr("AGENT            STATUS   VERSION"));
  EXPECT_THAT(frame, HasSubstr("build-01         up       1.2.3"));
  EXPECT_THAT(frame, HasSubstr("48.0 MiB"));
  EXPECT_THAT(frame, HasSubstr("no answer: not reached before the deadline"));
  EXPECT_THAT(frame, HasSubstr("web-1            down"));
  EXPECT_THAT(frame, HasSubstr("last heard 40s ago"));
  EXPECT_THAT(frame, Not(HasSubstr("\x1b[")));
}

TEST(FleetFrame, EveryLineFitsTheWidthAndColourOnlyWhenAsked) {
  const prom::MetricSet scrape = testing::Parse(testing::BusyScrape());
  for (int cols : {40, 80, 120}) {
    FrameOptions options;
    options.cols = cols;
    options.style.colour = true;
    const std::string frame = FleetFrame(ThreeAgents(scrape), options);
    EXPECT_THAT(frame, HasSubstr("\x1b["));
    size_t start = 0;
    while (start < frame.size()) {
      const size_t end = frame.find('\n', start);
      EXPECT_LE(DisplayWidth(frame.substr(start, end - start)), cols) << frame.substr(start, end - start);
      start = end + 1;
    }
  }
}

TEST(FleetFrame, AnEmptyFleetSaysSo) {
  FrameOptions options;
  EXPECT_THAT(FleetFrame(FleetModel{}, options), HasSubstr("No agent has registered with the master yet"));
}

}  // namespace
}  // namespace sloth::dashboard
