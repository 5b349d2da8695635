#include "daemon/core/fleet/reconnect_backoff.h"

#include <gtest/gtest.h>

namespace sloth {
namespace {

using namespace std::chrono_literals;

TEST(ReconnectDelay, DoublesFromTheFirstStepUpToTheCap) {
  const ReconnectBackoff backoff{500ms, 30s};
  // With the largest draw, the whole step.
  EXPECT_EQ(ReconnectDelay(backoff, 0, 1.0), 500ms);
  EXPECT_EQ(ReconnectDelay(backoff, 1, 1.0), 1s);
  EXPECT_EQ(ReconnectDelay(backoff, 5, 1.0), 16s);
  EXPECT_EQ(ReconnectDelay(backoff, 6, 1.0), 30s);
  EXPECT_EQ(ReconnectDelay(backoff, 1000, 1.0), 30s);
}

TEST(ReconnectDelay, JitterIsTheRandomHalfOfTheStep) {
  const ReconnectBackoff backoff{500ms, 30s};
  EXPECT_EQ(ReconnectDelay(backoff, 3, 0.0), 2s);  // never below half the step
  EXPECT_EQ(ReconnectDelay(backoff, 3, 0.5), 3s);
  EXPECT_EQ(ReconnectDelay(backoff, 3, 1.0), 4s);
  EXPECT_EQ(ReconnectDelay(backoff, 3, 7.0), 4s);  // a draw out of range is clamped
}

}  // namespace
}  // namespace sloth
