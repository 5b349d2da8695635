#include <gtest/gtest.h>

#include "ctl/errors.h"
#include "ctl/resolve.h"

namespace sloth::ctl {
namespace {

LocalProbe Reached(const std::string& name) { return LocalProbe{"unix:/run/slothd/slothd.sock", "", name}; }
LocalProbe Unreachable() { return LocalProbe{"unix:/run/slothd/slothd.sock", "No such file or directory", ""}; }

using Via = Route::Via;

TEST(DecideRoute, MatchingNameUsesTheLocalAgent) {
  EXPECT_EQ(DecideRoute("build-01", Reached("build-01"), false, false, false).via, Via::kLocal);
  EXPECT_EQ(DecideRoute("build-01", Reached("build-01"), true, false, false).via, Via::kLocal);
}

TEST(DecideRoute, LocalAndDotMeanWhateverTheLocalAgentIs) {
  EXPECT_EQ(DecideRoute("local", Reached("build-01"), false, false, false).via, Via::kLocal);
  EXPECT_EQ(DecideRoute(".", Reached("build-01"), true, true, false).via, Via::kLocal);
}

TEST(DecideRoute, AnotherNameGoesToTheMasterWhenThereIsOne) {
  EXPECT_EQ(DecideRoute("web-1", Reached("build-01"), true, false, false).via, Via::kMaster);
  // No local agent at all (an operator's workstation): the master.
  EXPECT_EQ(DecideRoute("web-1", Unreachable(), true, false, false).via, Via::kMaster);
}

TEST(DecideRoute, TheLocalAliasesNeverGoToTheMaster) {
  const auto route = DecideRoute("local", Unreachable(), true, false, false);
  EXPECT_EQ(route.via, Via::kNone);
  EXPECT_EQ(route.exit_code, kExitUnavailable);
}

TEST(DecideRoute, OtherNameWithoutAMasterIsNotFoundAndSaysWhatWasTried) {
  const auto route = DecideRoute("web-1", Reached("build-01"), false, false, false);
  EXPECT_EQ(route.via, Via::kNone);
  EXPECT_EQ(route.exit_code, kExitUnavailable);
  EXPECT_EQ(route.message,
            "agent 'web-1' not found: the local agent at unix:/run/slothd/slothd.sock is 'build-01'; no --endpoint "
            "given; remote agents need a master: --master HOST:PORT or $SLOTH_MASTER");
}

TEST(DecideRoute, EndpointOnANonMetricsCommandIsExplained) {
  const auto route = DecideRoute("web-1", Reached("build-01"), false, false, true);
  EXPECT_NE(route.message.find("--endpoint is only used by metrics commands"), std::string::npos) << route.message;
}

TEST(DecideRoute, UnreachableSaysWhereWhyAndWhatToDo) {
  const auto route = DecideRoute("x", Unreachable(), false, false, false);
  EXPECT_EQ(route.via, Via::kNone);
  EXPECT_EQ(route.exit_code, kExitUnavailable);
  EXPECT_EQ(route.message,
            "cannot reach agent 'x' at unix:/run/slothd/slothd.sock: No such file or directory "
            "— is slothd running? pass --socket PATH or set SLOTH_SOCKET; a remote agent needs --master "
            "HOST:PORT (or $SLOTH_MASTER)");
  // Even "local" cannot be served by an unreachable daemon.
  EXPECT_EQ(DecideRoute("local", Unreachable(), false, false, false).via, Via::kNone);
}

TEST(DecideRoute, PermissionDeniedIsNotReportedAsUnreachable) {
  LocalProbe probe{"unix:/run/slothd/slothd.sock", "Permission denied", "", /*permission_denied=*/true};
  const auto route = DecideRoute("local", probe, false, false, false);
  EXPECT_EQ(route.via, Via::kNone);
  EXPECT_EQ(route.message.find("is slothd running?"), std::string::npos) << route.message;
  EXPECT_EQ(route.message.rfind("permission denied: agent 'local' at unix:/run/slothd/slothd.sock refuses this "
                                "user (Permission denied) — slothd is running;",
                                0),
            0u)
      << route.message;
  EXPECT_NE(route.message.find("adduser $USER slothd"), std::string::npos);
  // Another agent's name still goes to the master.
  EXPECT_EQ(DecideRoute("web-1", probe, true, false, false).via, Via::kMaster);
}

TEST(DecideRoute, RefusalForTooManyConnectionsSaysSo) {
  LocalProbe probe{"unix:/s.sock", "too many control connections (256 open); try again once some have closed", "",
                   false, /*refused=*/true};
  EXPECT_EQ(DecideRoute("local", probe, false, false, false).message,
            "agent 'local' at unix:/s.sock refused the connection: too many control connections (256 open); try "
            "again once some have closed");
}

TEST(DecideRoute, UnreachableOnAMetricsCommandSuggestsEndpoint) {
  LocalProbe probe{"unix:/s.sock", "Connection refused", ""};
  EXPECT_NE(DecideRoute("x", probe, false, true, false).message.find("--endpoint URL"), std::string::npos);
}

}  // namespace
}  // namespace sloth::ctl
