#include "daemon/core/telemetry/label_limiter.h"

#include <gtest/gtest.h>

#include "daemon/core/telemetry/telemetry.h"

namespace {

using sloth::LabelPairLimiter;
using Pair = std::pair<std::string, std::string>;

TEST(LabelPairLimiter, KnownPairsStayAndNewOnesPastTheCapBecomeOther) {
  LabelPairLimiter limiter(2);
  EXPECT_EQ(limiter.Admit("g", "a"), (Pair{"g", "a"}));
  EXPECT_EQ(limiter.Admit("g", "b"), (Pair{"g", "b"}));
  EXPECT_EQ(limiter.Admit("h", "a"), (Pair{"_other", "_other"}));
  EXPECT_EQ(limiter.Admit("g", "a"), (Pair{"g", "a"})) << "a known pair is never displaced";
}

TEST(LabelPairLimiter, PairsAreNotConfusedByWhereTheNameSplits) {
  LabelPairLimiter limiter(2);
  EXPECT_EQ(limiter.Admit("ab", "c"), (Pair{"ab", "c"}));
  EXPECT_EQ(limiter.Admit("a", "bc"), (Pair{"a", "bc"}));
  EXPECT_EQ(limiter.Admit("abc", ""), (Pair{"_other", "_other"}));
}

// The probe: names that each stay under the per-label cap still multiply. 100 groups x 100 tasks
// at a per-label cap of 500 were 10,000 histogram series; the pair cap keeps them to its value.
TEST(TelemetrySeriesCap, GroupTimesTaskIsCappedInTotalAndTheExcessIsCountedUnderOther) {
  sloth::Telemetry t(sloth::CurrentBuildIdentity("cap"),
                     sloth::Telemetry::Options{.max_label_values = 500, .max_task_series = 50});
  for (int g = 0; g < 100; ++g) {
    for (int k = 0; k < 100; ++k) {
      t.TaskStarted();
      t.TaskFinished("group-" + std::to_string(g), "task-" + std::to_string(k), "success", 0.01, false);
    }
  }
  size_t series = 0;
  double other_count = -1;
  for (const auto& family : t.registry().Collect()) {
    if (family.name != "sloth_task_duration_seconds") continue;
    series = family.metric.size();
    for (const auto& m : family.metric) {
      if (m.label[0].value == "_other" && m.label[1].value == "_other") {
        other_count = static_cast<double>(m.histogram.sample_count);
      }
    }
  }
  EXPECT_EQ(series, 51u) << "50 pairs and the one _other series";
  EXPECT_EQ(other_count, 100 * 100 - 50) << "every task past the cap is still counted";
}

}  // namespace
