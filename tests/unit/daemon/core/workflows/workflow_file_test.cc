#include "daemon/core/workflows/workflow_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/daemon/core/workflows/workflow_test_support.h"

using namespace std::chrono_literals;
using sloth::ParseWorkflowFile;
using sloth::test::MustFail;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(WorkflowFile, ReadsGroupsAndTasksInFileOrderWithEveryField) {
  auto file = ParseWorkflowFile(R"(
name = "release"
[values]
src = "/srv"
[groups.zeta]
parallel = 3
[groups.zeta.tasks.second]
command = "echo 2"
[groups.zeta.tasks.first]
command = "echo 1"
depends_on = ["second"]
timeout = "10m"
workdir = "{{ src }}"
env = { B = "2", A = "1" }
when = "src"
retries = 2
retry_delay = "1s"
[groups.alpha]
depends_on = ["zeta"]
tasks.only = { command = "true" }
)",
                                "deploy.toml");
  ASSERT_TRUE(file) << file.error().ToString();
  EXPECT_EQ(file->name, "release");
  ASSERT_EQ(file->groups.size(), 2u);
  EXPECT_EQ(file->groups[0].name.value, "zeta");  // as written, not sorted
  EXPECT_EQ(file->groups[0].parallel, 3u);
  ASSERT_EQ(file->groups[0].tasks.size(), 2u);
  EXPECT_EQ(file->groups[0].tasks[0].name.value, "second");
  const auto& first = file->groups[0].tasks[1];
  EXPECT_EQ(first.command.value, "echo 1");
  ASSERT_EQ(first.depends_on.size(), 1u);
  EXPECT_EQ(first.depends_on[0].value, "second");
  EXPECT_EQ(first.timeout, 10min);
  EXPECT_EQ(first.workdir->value, "{{ src }}");
  ASSERT_EQ(first.env.size(), 2u);
  EXPECT_EQ(first.env[0].first, "B");
  EXPECT_EQ(first.when->value, "src");
  EXPECT_EQ(first.retries, 2u);
  EXPECT_EQ(first.retry_delay, 1s);
  EXPECT_EQ(file->groups[1].name.value, "alpha");
  ASSERT_EQ(file->groups[1].depends_on.size(), 1u);
  EXPECT_EQ(file->groups[1].tasks[0].command.value, "true");
  EXPECT_EQ(file->defaults.Find("src")->text, "/srv");
}

TEST(WorkflowFile, NameDefaultsToTheFileNameWithoutExtension) {
  auto file = ParseWorkflowFile("[groups.g.tasks.t]\ncommand = 'true'\n", "examples/deploy.toml");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->name, "deploy");
}

TEST(WorkflowFile, DuplicateTaskNameIsATomlErrorAtItsPosition) {
  EXPECT_EQ(MustFail("[groups.g.tasks.build]\ncommand = 'a'\n[groups.g.tasks.build]\ncommand = 'b'\n"),
            "deploy.toml:3:1: TOML syntax error: Error while parsing table header: cannot redefine existing table "
            "'groups.g.tasks.build'");
}

TEST(WorkflowFile, DuplicateGroupNameIsATomlErrorAtItsPosition) {
  EXPECT_THAT(MustFail("[groups.g]\nparallel = 1\n[groups.g.tasks.a]\ncommand = 'a'\n[groups.g]\nparallel = 2\n"),
              StartsWith("deploy.toml:5:1: TOML syntax error:"));
}

TEST(WorkflowFile, DuplicateKeyIsATomlErrorAtItsPosition) {
  EXPECT_THAT(MustFail("[groups.g.tasks.a]\ncommand = 'a'\ncommand = 'b'\n"),
              StartsWith("deploy.toml:3:11: TOML syntax error:"));
}

TEST(WorkflowFile, UnknownKeysAreErrorsAtTheirPositionWithWhatIsAllowed) {
  EXPECT_EQ(MustFail("parallel = 2\n[groups.g.tasks.a]\ncommand = 'a'\n"),
            "deploy.toml:1:1: parallel: unknown key (allowed: name, values, groups)");
  EXPECT_EQ(MustFail("[groups.g]\nparalel = 2\n[groups.g.tasks.a]\ncommand = 'a'\n"),
            "deploy.toml:2:1: groups.g.paralel: unknown key (allowed: parallel, depends_on, tasks)");
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand = 'a'\n  memory = '1G'\n"),
            "deploy.toml:3:3: groups.g.tasks.a.memory: unknown key (allowed: command, depends_on, timeout, "
            "workdir, env, user, memory_max, cpu_quota, tasks_max, when, retries, retry_delay)");
}

TEST(WorkflowFile, TasksTakeAUserAndLimitsAsAdHocTasksDo) {
  const auto file = ParseWorkflowFile(
      "[groups.g.tasks.a]\ncommand = 'a'\nuser = 'nobody'\nmemory_max = '512M'\ncpu_quota = '50%'\n"
      "tasks_max = 64\n[groups.g.tasks.b]\ncommand = 'b'\nmemory_max = 'max'\n",
      "deploy.toml");
  ASSERT_TRUE(file) << file.error().ToString();
  const sloth::FileTask& a = file->groups[0].tasks[0];
  ASSERT_TRUE(a.user);
  EXPECT_EQ(a.user->value, "nobody");
  EXPECT_EQ(a.limits.memory_max, uint64_t{512} << 20);
  EXPECT_EQ(a.limits.cpu_quota, 50u);
  EXPECT_EQ(a.limits.tasks_max, 64u);
  const sloth::FileTask& b = file->groups[0].tasks[1];
  EXPECT_FALSE(b.user);
  EXPECT_EQ(b.limits.memory_max, sloth::kNoLimit);  // "max" lifts the agent's default
  EXPECT_FALSE(b.limits.cpu_quota);                 // unset: the agent's default
  EXPECT_THAT(MustFail("[groups.g.tasks.a]\ncommand = 'a'\nmemory_max = '12 apples'\n"),
              StartsWith("deploy.toml:3:14: groups.g.tasks.a.memory_max: "));
  EXPECT_THAT(MustFail("[groups.g.tasks.a]\ncommand = 'a'\ntasks_max = 0\n"),
              StartsWith("deploy.toml:3:13: groups.g.tasks.a.tasks_max: "));
}

TEST(WorkflowFile, WrongTypesAndValuesAreErrorsAtTheValue) {
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand = 3\n"),
            "deploy.toml:2:11: groups.g.tasks.a.command: expected a string, got an integer");
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand = 'a'\ntimeout = 30\n"),
            "deploy.toml:3:11: groups.g.tasks.a.timeout: expected a duration such as \"30s\" or \"10m\", got an "
            "integer");
  EXPECT_THAT(MustFail("[groups.g.tasks.a]\ncommand = 'a'\ntimeout = '30'\n"),
              StartsWith("deploy.toml:3:11: groups.g.tasks.a.timeout: "));
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand = 'a'\nretries = 101\n"),
            "deploy.toml:3:11: groups.g.tasks.a.retries: expected an integer from 0 to 100, got 101");
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand = 'a'\nretry_delay = '25h'\n"),
            "deploy.toml:3:15: groups.g.tasks.a.retry_delay: expected from 0s to 24h, got 25h");
  EXPECT_EQ(MustFail("[groups.g]\nparallel = 0\n[groups.g.tasks.a]\ncommand = 'a'\n"),
            "deploy.toml:2:12: groups.g.parallel: expected an integer from 1 to 4096, got 0");
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand = 'a'\ndepends_on = 'b'\n"),
            "deploy.toml:3:14: groups.g.tasks.a.depends_on: expected an array of names such as [\"build\"], got a "
            "string");
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand = 'a'\ndepends_on = ['b', 'b']\n"),
            "deploy.toml:3:20: groups.g.tasks.a.depends_on: 'b' is listed twice");
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand = 'a'\nenv = { 1X = 'v' }\n"),
            "deploy.toml:3:9: groups.g.tasks.a.env: '1X' is not an environment variable name (letters, digits, '_')");
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand = 'a'\nenv = { X = 1 }\n"),
            "deploy.toml:3:13: groups.g.tasks.a.env.X: expected a string, got an integer");
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand = 'a'\nwhen = true\n"),
            "deploy.toml:3:8: groups.g.tasks.a.when: expected a string, got a boolean");
}

TEST(WorkflowFile, TasksNeedACommand) {
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ntimeout = '1s'\n"),
            "deploy.toml:1:17: groups.g.tasks.a: no command (add command = \"...\", run as /bin/sh -c)");
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand = '  '\n"),
            "deploy.toml:2:11: groups.g.tasks.a.command: empty: give the shell command to run");
}

TEST(WorkflowFile, AWorkflowNeedsGroupsAndGroupsNeedTasks) {
  EXPECT_THAT(MustFail("name = 'x'\n"), HasSubstr("groups: a workflow needs at least one group"));
  EXPECT_EQ(MustFail("[groups.g]\nparallel = 2\n"),
            "deploy.toml:1:9: groups.g: a group needs at least one task ([groups.g.tasks.NAME] with a command)");
  EXPECT_THAT(MustFail("groups = 3\n"), StartsWith("deploy.toml:1:10: groups: a workflow needs"));
}

TEST(WorkflowFile, NamesAreLettersDigitsUnderscoreAndDash) {
  EXPECT_EQ(MustFail("[groups.'a.b'.tasks.t]\ncommand = 'x'\n"),
            "deploy.toml:1:9: group name 'a.b': use 1 to 64 letters, digits, '_' and '-'");
  EXPECT_EQ(MustFail("[groups.g.tasks.'t t']\ncommand = 'x'\n"),
            "deploy.toml:1:17: task name 't t': use 1 to 64 letters, digits, '_' and '-'");
  EXPECT_EQ(MustFail("name = ''\n[groups.g.tasks.t]\ncommand = 'x'\n"),
            "deploy.toml:1:8: name: expected 1 to 128 characters without control characters");
}

TEST(WorkflowFile, ValuesDefaultsMustBeScalarsOrTables) {
  EXPECT_EQ(MustFail("[values]\nlist = [1]\n[groups.g.tasks.t]\ncommand = 'x'\n"),
            "deploy.toml:2:1: list: expected a string, a number, a boolean or a table, got an array");
  EXPECT_EQ(MustFail("values = 3\n[groups.g.tasks.t]\ncommand = 'x'\n"),
            "deploy.toml:1:10: values: expected a table, got an integer");
}

TEST(WorkflowFile, SyntaxErrorsCarryTheirPosition) {
  EXPECT_THAT(MustFail("[groups.g.tasks.t]\ncommand = 'x\n"), StartsWith("deploy.toml:2:"));
}

TEST(WorkflowFile, OversizedFilesAndTaskCountsAreRefused) {
  EXPECT_THAT(MustFail(std::string(sloth::kMaxWorkflowFileBytes + 1, '#')), HasSubstr("at most 4194304 are read"));
  std::string many = "[groups.g.tasks]\n";
  for (size_t i = 0; i <= sloth::kMaxWorkflowTasks; ++i) many += "t" + std::to_string(i) + ".command = 'x'\n";
  EXPECT_THAT(MustFail(many), HasSubstr("more than 10000 tasks in one workflow"));
}
