// What /health says about the agent's resources: the state directory and file descriptors.
#include "daemon/health_checks.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/descriptor_limit.h"

namespace sloth {
namespace {

using ::testing::HasSubstr;

TEST(StateDirProblem, AWritableDirectoryWithSpaceIsFine) {
  EXPECT_FALSE(StateDirProblem(std::filesystem::temp_directory_path().string()));
}

TEST(StateDirProblem, AMissingDirectoryIsNotWritableAndSaysWhy) {
  EXPECT_EQ(StateDirProblem("/nonexistent/state").value_or(""),
            "state directory /nonexistent/state is not writable: No such file or directory");
}

TEST(DescriptorVerdict, FineWithRoomToSpareTightNearTheLimitAndAtIt) {
  EXPECT_FALSE(DescriptorVerdict(100, 1024));
  EXPECT_THAT(DescriptorVerdict(1010, 1024).value_or(""), HasSubstr("nearly exhausted: 1010 of 1024 in use"));
  EXPECT_THAT(DescriptorVerdict(std::nullopt, 1024).value_or(""), HasSubstr("out of file descriptors (limit 1024)"));
}

TEST(DescriptorLimit, NeedsCoverTheConfiguredConnectionsAndTasks) {
  Config config;
  EXPECT_GE(DescriptorsNeeded(config), config.telemetry.max_connections + 256u + 4u * config.tasks.max_concurrent);
}

TEST(DescriptorLimit, RaisesTheSoftLimitTowardWhatIsNeededButNotPastTheHardOne) {
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low{256, 512};
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  EXPECT_FALSE(RaiseDescriptorLimit(400));
  rlimit now{};
  ::getrlimit(RLIMIT_NOFILE, &now);
  EXPECT_EQ(now.rlim_cur, 400u);
  EXPECT_THAT(RaiseDescriptorLimit(2000).value_or(""), HasSubstr("the open-file limit is 512, below the 2000"));
  ::getrlimit(RLIMIT_NOFILE, &now);
  EXPECT_EQ(now.rlim_cur, 512u);
  ::setrlimit(RLIMIT_NOFILE, &saved);  // root may raise the hard limit back
}

}  // namespace
}  // namespace sloth
