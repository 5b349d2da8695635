#include "ctl/prom/exemplars.h"

#include <gtest/gtest.h>

namespace sloth::prom {
namespace {

TEST(ParseBucketExemplars, ReadsTheExemplarsOfOneFamilysBuckets) {
  const auto found = ParseBucketExemplars(
      "# TYPE d histogram\n"
      "d_bucket{group=\"a,}b\",task=\"t\",le=\"0.5\"} 2 # {task_id=\"t-000002-bbbb\"} 0.4 1733000000.500\n"
      "d_bucket{group=\"a,}b\",task=\"t\",le=\"1\"} 2\n"
      "d_bucket{task=\"t\",le=\"+Inf\"} 3 # {task_id=\"t-3\"} 42\n"
      "other_bucket{le=\"1\"} 1 # {task_id=\"t-9\"} 1\n"
      "d_bucket{le=\"1\"} 1 # {task_id=\"broken} 1\n"
      "d_count 3\n# EOF\n",
      "d");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].series, (Labels{{"group", "a,}b"}, {"le", "0.5"}, {"task", "t"}}));
  EXPECT_EQ(found[0].exemplar, (Labels{{"task_id", "t-000002-bbbb"}}));
  EXPECT_DOUBLE_EQ(found[0].value, 0.4);
  EXPECT_EQ(found[1].exemplar, (Labels{{"task_id", "t-3"}}));
  EXPECT_DOUBLE_EQ(found[1].value, 42);
}

TEST(ParseBucketExemplars, NothingFromTextWithoutExemplars) {
  EXPECT_TRUE(ParseBucketExemplars("d_bucket{le=\"1\"} 1\n", "d").empty());
  EXPECT_TRUE(ParseBucketExemplars("", "d").empty());
}

}  // namespace
}  // namespace sloth::prom
