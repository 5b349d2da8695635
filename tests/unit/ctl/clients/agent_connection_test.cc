#include "ctl/clients/agent_connection.h"

#include <gtest/gtest.h>

namespace sloth::ctl {
namespace {

TEST(RunHandle, AbandonReachesTheAttachedCall) {
  RunHandle handle;
  int abandoned = 0;
  handle.Attach([&] { ++abandoned; });
  EXPECT_FALSE(handle.abandoned());
  handle.Abandon();
  EXPECT_TRUE(handle.abandoned());
  EXPECT_EQ(abandoned, 1);
}

TEST(RunHandle, AbandonBeforeTheCallStartsEndsItAsSoonAsItAttaches) {
  RunHandle handle;
  handle.Abandon();
  int abandoned = 0;
  handle.Attach([&] { ++abandoned; });
  EXPECT_EQ(abandoned, 1);
}

TEST(RunHandle, AbandonAfterTheCallEndedReachesNothing) {
  RunHandle handle;
  int abandoned = 0;
  handle.Attach([&] { ++abandoned; });
  handle.Detach();
  handle.Abandon();
  EXPECT_EQ(abandoned, 0);
  EXPECT_TRUE(handle.abandoned());
}

}  // namespace
}  // namespace sloth::ctl
