// A task's environment: the user's basics, the configuration's variables, the request's; nothing
// of the daemon's own environment. Real tasks, run by a real TaskRunner.
#include "daemon/core/tasks/task_environment.h"

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "daemon/core/tasks/task_runner.h"
#include "tests/unit/daemon/core/tasks/run_to_end.h"

namespace sloth {
namespace {

std::map<std::string, std::string> EnvOf(const TaskResult& result) {
  std::map<std::string, std::string> vars;
  std::istringstream lines(result.kept_output);
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return vars;
}

TEST(UserEnvironment, GivesPathHomeLangAndTheUsersName) {
  const passwd* root = ::getpwuid(0);
  ASSERT_NE(root, nullptr);
  const std::vector<std::string> env = UserEnvironment(0);
  EXPECT_EQ(env, (std::vector<std::string>{std::string("PATH=") + kTaskPath, std::string("HOME=") + root->pw_dir,
                                           "LANG=C.UTF-8", std::string("USER=") + root->pw_name,
                                           std::string("LOGNAME=") + root->pw_name}));
  // A uid without a passwd entry still gets a usable environment.
  EXPECT_EQ(UserEnvironment(4000000000u),
            (std::vector<std::string>{std::string("PATH=") + kTaskPath, "HOME=/", "LANG=C.UTF-8"}));
}

TEST(TaskEnvironment, TasksGetACleanEnvironmentNotTheDaemons) {
  ASSERT_EQ(::setenv("SLOTH_DAEMON_SECRET", "must-not-leak", 1), 0);
  ASSERT_EQ(::setenv("PATH", "/daemon/only/bin:/usr/bin:/bin", 1), 0);
  Telemetry telemetry(CurrentBuildIdentity("env"), {});
  Logger log(std::make_unique<ConsoleLogSink>(stderr), LogLevel::kWarning);
  TaskRunner::Options options;
  options.environment = {{"FROM_CONFIG", "c"}, {"OVERRIDDEN", "by the configuration"}};
  TaskRunner runner(options, telemetry, log);
  TaskSpec spec;
  spec.command = "env";
  spec.env = {{"OVERRIDDEN", "by the request"}, {"FROM_REQUEST", "r"}};
  const TaskResult result = RunToEnd(runner, spec);
  ::unsetenv("SLOTH_DAEMON_SECRET");
  ASSERT_EQ(result.status, TaskStatus::kSuccess) << result.reason;
  auto vars = EnvOf(result);
  EXPECT_EQ(vars.count("SLOTH_DAEMON_SECRET"), 0u) << result.kept_output;
  EXPECT_EQ(vars["PATH"], kTaskPath);
  EXPECT_EQ(vars["LANG"], "C.UTF-8");
  EXPECT_EQ(vars["HOME"], ::getpwuid(::geteuid())->pw_dir);
  EXPECT_EQ(vars["USER"], ::getpwuid(::geteuid())->pw_name);
  EXPECT_EQ(vars["FROM_CONFIG"], "c");
  EXPECT_EQ(vars["FROM_REQUEST"], "r");
  EXPECT_EQ(vars["OVERRIDDEN"], "by the request");
  EXPECT_EQ(vars["SLOTH_TASK_ID"], result.id);  // process mode: how what leaves the task is known
  // Nothing else but what the shell itself sets (dash: PWD).
  for (const auto& [name, value] : vars) {
    static const std::set<std::string> expected = {
        "PATH", "HOME", "LANG", "USER", "LOGNAME", "FROM_CONFIG", "FROM_REQUEST", "OVERRIDDEN", "PWD", "SLOTH_TASK_ID"};
    EXPECT_TRUE(expected.count(name)) << "unexpected variable " << name << "=" << value;
  }
}

}  // namespace
}  // namespace sloth
