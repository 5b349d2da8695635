#include "daemon/core/tasks/task_limits.h"

#include <gtest/gtest.h>

namespace sloth {
namespace {

TEST(TaskLimits, MemorySizesReadAsSystemdWritesThem) {
  EXPECT_EQ(*ParseMemoryMax("512M"), uint64_t{512} << 20);
  EXPECT_EQ(*ParseMemoryMax("2g"), uint64_t{2} << 30);
  EXPECT_EQ(*ParseMemoryMax("1048576"), uint64_t{1} << 20);
  EXPECT_EQ(*ParseMemoryMax("max"), kNoLimit);
  for (const char* bad : {"", "1K", "12 M", "-5M", "5MB", "99999999999T", "M"}) {
    auto r = ParseMemoryMax(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().message.find("at least 1M"), std::string::npos);
    }
  }
  EXPECT_EQ(FormatMemorySize(uint64_t{512} << 20), "512M");
  EXPECT_EQ(FormatMemorySize(uint64_t{3} << 30), "3G");
  EXPECT_EQ(FormatMemorySize(1536 * 1024), "1536K");
  EXPECT_EQ(FormatMemorySize(kNoLimit), "max");
}

TEST(TaskLimits, CpuQuotaIsAPercentOfOneCpuAndTasksACount) {
  EXPECT_EQ(*ParseCpuQuota("50%"), 50u);
  EXPECT_EQ(*ParseCpuQuota("200%"), 200u);
  EXPECT_EQ(*ParseCpuQuota("max"), kNoLimit);
  for (const char* bad : {"50", "0%", "%", "1.5%", "x%"}) EXPECT_FALSE(ParseCpuQuota(bad)) << bad;
  EXPECT_EQ(*ParseTasksMax("64"), 64u);
  EXPECT_EQ(*ParseTasksMax("max"), kNoLimit);
  for (const char* bad : {"0", "", "ten"}) EXPECT_FALSE(ParseTasksMax(bad)) << bad;
  EXPECT_EQ(FormatCpuQuota(150), "150%");
  EXPECT_EQ(FormatTasksMax(kNoLimit), "max");
}

TEST(TaskLimits, ARequestsLimitsComeAsTextsAndAnEmptyOneIsTheDefault) {
  auto limits = RequestLimits("64M", "", "max");
  ASSERT_TRUE(limits);
  EXPECT_EQ(limits->memory_max, uint64_t{64} << 20);
  EXPECT_EQ(limits->cpu_quota, std::nullopt);
  EXPECT_EQ(limits->tasks_max, kNoLimit);
  auto bad = RequestLimits("", "fast", "");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.substr(0, 11), "cpu_quota: ");
}

TEST(TaskLimits, ARequestOverridesTheDefaultsAndMaxLiftsThem) {
  const TaskLimits defaults{uint64_t{1} << 30, 100, 64};
  const TaskLimits request{kNoLimit, 50, std::nullopt};
  const TaskLimits effective = EffectiveLimits(defaults, request);
  EXPECT_EQ(effective.memory_max, std::nullopt);
  EXPECT_EQ(effective.cpu_quota, 50u);
  EXPECT_EQ(effective.tasks_max, 64u);
  EXPECT_EQ(EffectiveLimits({}, {}), TaskLimits{});
}

TEST(TaskLimits, OnlyAppliedLimitsThatAreNotSupportedAreReported) {
  LimitSupport support;
  support.memory = "no memory controller";
  support.tasks = "no pids controller";
  EXPECT_EQ(LimitsNotEnforced({}, support), "");
  EXPECT_EQ(LimitsNotEnforced({uint64_t{64} << 20, 50, std::nullopt}, support),
            "memory_max=64M not enforced: no memory controller");
  EXPECT_EQ(LimitsNotEnforced({uint64_t{64} << 20, std::nullopt, 10}, support),
            "memory_max=64M not enforced: no memory controller; tasks_max=10 not enforced: no pids controller");
  EXPECT_EQ(LimitsNotEnforced({uint64_t{64} << 20, 50, 10}, LimitSupport{}), "");
}

}  // namespace
}  // namespace sloth
