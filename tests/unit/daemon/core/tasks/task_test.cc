// What a front end's RunTask arguments become before the runner sees them (task.h).
#include "daemon/core/tasks/task.h"

#include <gtest/gtest.h>

namespace sloth {
namespace {

TaskSpec Spec(std::string command, std::string name = "adhoc", std::string group = "adhoc",
              std::vector<std::pair<std::string, std::string>> env = {}) {
  TaskSpec spec;
  spec.command = std::move(command);
  spec.name = std::move(name);
  spec.group = std::move(group);
  spec.env = std::move(env);
  return spec;
}

TEST(CheckedTaskSpec, FillsTheDefaultNameAndGroup) {
  const auto spec = CheckedTaskSpec(Spec("true", "", ""));
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->name, "adhoc");
  EXPECT_EQ(spec->group, "adhoc");
  EXPECT_EQ(CheckedTaskSpec(Spec("true", "build", "deploy"))->group, "deploy");
}

TEST(CheckedTaskSpec, RefusesWhatTheShellCannotBeGivenAndSaysWhat) {
  EXPECT_EQ(CheckedTaskSpec(Spec("")).error().message, "command is empty: pass the shell command to run");
  EXPECT_EQ(CheckedTaskSpec(Spec(std::string("a\0b", 3))).error().message, "the command contains a NUL byte");
  EXPECT_EQ(CheckedTaskSpec(Spec("true", "a", "b", {{"", "x"}})).error().message,
            R"(bad environment variable name "")");
  EXPECT_EQ(CheckedTaskSpec(Spec("true", "a", "b", {{"A=B", "x"}})).error().message,
            R"(bad environment variable name "A=B")");
  EXPECT_EQ(CheckedTaskSpec(Spec("true", "a", "b", {{"A", std::string("x\0y", 3)}})).error().message,
            "environment variable A contains a NUL byte");
}

TEST(TimeoutFromMillis, ZeroIsTheDefaultAndHugeValuesAreClamped) {
  EXPECT_FALSE(TimeoutFromMillis(0));
  EXPECT_EQ(*TimeoutFromMillis(1500), std::chrono::milliseconds(1500));
  const Duration longest = *TimeoutFromMillis(UINT64_MAX);
  EXPECT_GT(longest, std::chrono::hours(24 * 365 * 30));
  EXPECT_GT(longest, Duration::zero()) << "no overflow into a negative timeout";
}

}  // namespace
}  // namespace sloth
