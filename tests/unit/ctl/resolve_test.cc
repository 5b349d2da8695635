#include <gtest/gtest.h>

#include "ctl/errors.h"
#include "ctl/resolve.h"

namespace sloth::ctl {
namespace {

LocalProbe Reached(const std::string& name) { return LocalProbe{"unix:/run/slothd/slothd.sock", "", name}; }

TEST(DecideLocal, MatchingNameUsesTheLocalAgent) {
  EXPECT_TRUE(DecideLocal("build-01", Reached("build-01"), false, false).use_local);
}

TEST(DecideLocal, LocalAndDotMeanWhateverTheLocalAgentIs) {
  EXPECT_TRUE(DecideLocal("local", Reached("build-01"), false, false).use_local);
  EXPECT_TRUE(DecideLocal(".", Reached("build-01"), true, false).use_local);
}

TEST(DecideLocal, OtherNameIsNotFoundAndSaysWhatWasTried) {
  const auto decision = DecideLocal("web-1", Reached("build-01"), false, false);
  EXPECT_FALSE(decision.use_local);
  EXPECT_EQ(decision.exit_code, kExitUnavailable);
  EXPECT_EQ(decision.message,
            "agent 'web-1' not found: the local agent at unix:/run/slothd/slothd.sock is "
            "'build-01'; no --endpoint given; remote agents need --master (not available yet)");
}

TEST(DecideLocal, EndpointOnANonMetricsCommandIsExplained) {
  const auto decision = DecideLocal("web-1", Reached("build-01"), false, true);
  EXPECT_NE(decision.message.find("--endpoint is only used by metrics commands"), std::string::npos)
      << decision.message;
}

TEST(DecideLocal, UnreachableSaysWhereWhyAndWhatToDo) {
  LocalProbe probe{"unix:/run/slothd/slothd.sock", "No such file or directory", ""};
  const auto decision = DecideLocal("x", probe, false, false);
  EXPECT_FALSE(decision.use_local);
  EXPECT_EQ(decision.exit_code, kExitUnavailable);
  EXPECT_EQ(decision.message,
            "cannot reach agent 'x' at unix:/run/slothd/slothd.sock: No such file or directory "
            "— is slothd running? pass --socket PATH or set SLOTH_SOCKET");
  // Even "local" cannot be served by an unreachable daemon.
  EXPECT_FALSE(DecideLocal("local", probe, false, false).use_local);
}

TEST(DecideLocal, PermissionDeniedIsNotReportedAsUnreachable) {
  LocalProbe probe{"unix:/run/slothd/slothd.sock", "Permission denied", "", /*permission_denied=*/true};
  const auto decision = DecideLocal("local", probe, false, false);
  EXPECT_FALSE(decision.use_local);
  EXPECT_EQ(decision.message.find("is slothd running?"), std::string::npos) << decision.message;
  EXPECT_EQ(decision.message.rfind("permission denied: agent 'local' at unix:/run/slothd/slothd.sock refuses this "
                                   "user (Permission denied) — slothd is running;",
                                   0),
            0u)
      << decision.message;
  EXPECT_NE(decision.message.find("adduser $USER slothd"), std::string::npos);
}

TEST(DecideLocal, RefusalForTooManyConnectionsSaysSo) {
  LocalProbe probe{"unix:/s.sock", "too many control connections (256 open); try again once some have closed", "",
                   false, /*refused=*/true};
  EXPECT_EQ(DecideLocal("local", probe, false, false).message,
            "agent 'local' at unix:/s.sock refused the connection: too many control connections (256 open); try "
            "again once some have closed");
}

TEST(DecideLocal, UnreachableOnAMetricsCommandSuggestsEndpoint) {
  LocalProbe probe{"unix:/s.sock", "Connection refused", ""};
  EXPECT_NE(DecideLocal("x", probe, true, false).message.find("--endpoint URL"), std::string::npos);
}

}  // namespace
}  // namespace sloth::ctl
