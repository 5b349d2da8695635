// What /health says about the agent's resources: the state directory and file descriptors.
#include "daemon/health_checks.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

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

TEST(DescriptorVerdict, FineWhileTheLastDescriptorsAreFree) {
  EXPECT_FALSE(DescriptorVerdict(true, 1024));
  EXPECT_THAT(DescriptorVerdict(false, 1024).value_or(""),
              HasSubstr("nearly exhausted: the last 16 of 1024 are in use"));
}

TEST(DescriptorProblem, SeesTheLimitReachedAndGone) {
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_FALSE(DescriptorProblem());
  // Under a limit just above what is open, then with every descriptor taken.
  rlimit tight{64, saved.rlim_max};
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);
  std::vector<int> taken;
  for (int fd; (fd = ::dup(0)) >= 0;) taken.push_back(fd);
  // The two lowest given back: UBSan's vptr check (inside fmt) needs a pipe to probe memory, and
  // reports a false "invalid vptr" when it cannot make one. The last 16 stay taken.
  for (int i = 0; i < 2 && !taken.empty(); ++i) {
    ::close(taken.front());
    taken.erase(taken.begin());
  }
  EXPECT_THAT(DescriptorProblem().value_or(""), HasSubstr("the last 16 of 64 are in use"));
  for (int fd : taken) ::close(fd);
  EXPECT_FALSE(DescriptorProblem()) << "recovers as soon as descriptors are free";
  ::setrlimit(RLIMIT_NOFILE, &saved);
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
