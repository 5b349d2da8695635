#include "daemon/core/workflows/workflow.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/daemon/core/workflows/workflow_test_support.h"

using namespace std::chrono_literals;
using sloth::Workflow;
using sloth::test::Load;
using sloth::test::MustFail;
using sloth::test::MustLoad;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

constexpr const char* kDeploy = R"(
[values]
src = "/srv/app"
env = "dev"
[groups.build.tasks.compile]
command = "make -C {{ src }}"
timeout = "10m"
[groups.deploy]
depends_on = ["build"]
parallel = 2
[groups.deploy.tasks.test]
command = "make -C {{ src }} test"
[groups.deploy.tasks.migrate]
command = "./migrate.sh {{ env }}"
depends_on = ["test", "build.compile"]
retries = 2
retry_delay = "1s"
[groups.deploy.tasks.restart]
command = "systemctl restart app"
depends_on = ["migrate"]
when = "env == 'prod'"
[groups.docs.tasks.render]
command = "make docs"
)";

std::vector<std::string> Names(const Workflow& wf) {
  std::vector<std::string> names;
  for (size_t t = 0; t < wf.tasks.size(); ++t) names.push_back(wf.QualifiedName(t));
  return names;
}

}  // namespace

TEST(ResolveWorkflow, ResolvesNamesToIndicesAndSubstitutesValues) {
  Workflow wf = MustLoad(kDeploy);
  EXPECT_EQ(wf.name, "deploy");
  EXPECT_THAT(Names(wf),
              ElementsAre("build.compile", "deploy.test", "deploy.migrate", "deploy.restart", "docs.render"));
  ASSERT_EQ(wf.groups.size(), 3u);
  EXPECT_THAT(wf.groups[1].depends_on, ElementsAre(0u));
  EXPECT_THAT(wf.groups[1].tasks, ElementsAre(1u, 2u, 3u));
  EXPECT_EQ(wf.groups[1].parallel, 2u);
  EXPECT_THAT(wf.tasks[2].depends_on, ElementsAre(1u, 0u));
  EXPECT_THAT(wf.group_of, ElementsAre(0u, 1u, 1u, 1u, 2u));
  EXPECT_EQ(wf.tasks[0].spec.command, "make -C /srv/app");
  EXPECT_EQ(wf.tasks[0].spec.name, "compile");
  EXPECT_EQ(wf.tasks[0].spec.group, "build");
  EXPECT_EQ(wf.tasks[0].spec.timeout, 10min);
  EXPECT_EQ(wf.tasks[2].spec.command, "./migrate.sh dev");
  EXPECT_EQ(wf.tasks[2].retries, 2u);
  EXPECT_EQ(wf.tasks[2].retry_delay, 1s);
  EXPECT_FALSE(wf.tasks[3].condition_holds);
  EXPECT_EQ(wf.tasks[0].at, (sloth::SourcePosition{5, 21}));
}

TEST(ResolveWorkflow, ATasksUserIsSubstitutedAndItsLimitsGoToTheSpec) {
  Workflow wf = MustLoad(
      "[values]\nrunner = 'deploy'\n[groups.g.tasks.a]\ncommand = 'x'\nuser = '{{ runner }}'\n"
      "memory_max = '64M'\ntasks_max = 'max'\n[groups.g.tasks.b]\ncommand = 'y'\n");
  EXPECT_EQ(wf.tasks[0].spec.user, "deploy");
  EXPECT_EQ(wf.tasks[0].spec.limits.memory_max, uint64_t{64} << 20);
  EXPECT_EQ(wf.tasks[0].spec.limits.tasks_max, sloth::kNoLimit);
  EXPECT_EQ(wf.tasks[1].spec.user, "");  // the agent's [tasks] user
  EXPECT_EQ(wf.tasks[1].spec.limits, sloth::TaskLimits{});
  EXPECT_THAT(MustFail("[groups.g.tasks.a]\ncommand = 'x'\nuser = '{{ nope }}'\n"),
              ::testing::StartsWith("deploy.toml:3:9: groups.g.tasks.a.user: unknown placeholder {{ nope }}"));
}

TEST(ResolveWorkflow, ValuesFilesOverrideTheFileAndSetOverridesBoth) {
  auto wf = Load(kDeploy, {{"dev.toml", "env = 'staging'\nsrc = '/a'\n"}, {"prod.toml", "env = 'prod'\n"}}, {"src=/b"});
  ASSERT_TRUE(wf) << wf.error().ToString();
  EXPECT_EQ(wf->tasks[0].spec.command, "make -C /b");
  EXPECT_EQ(wf->tasks[2].spec.command, "./migrate.sh prod");
  EXPECT_TRUE(wf->tasks[3].condition_holds);
}

TEST(ResolveWorkflow, ValuesFileAndSetErrorsNameTheirSource) {
  EXPECT_EQ(MustFail(kDeploy, {{"dev.toml", "\nenv = [1]\n"}}),
            "dev.toml:2:1: env: expected a string, a number, a boolean or a table, got an array");
  EXPECT_THAT(MustFail(kDeploy, {}, {"env"}), ::testing::StartsWith("--set: expected NAME=VALUE"));
}

TEST(ResolveWorkflow, UnknownDependenciesAreErrorsAtTheEntry) {
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand='x'\ndepends_on = ['b']\n"),
            "deploy.toml:3:15: groups.g.tasks.a.depends_on: unknown dependency 'b': no task 'b' in group g (tasks: a; "
            "another group's task is GROUP.TASK)");
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand='x'\ndepends_on = ['h.b']\n"),
            "deploy.toml:3:15: groups.g.tasks.a.depends_on: unknown dependency 'h.b': no group 'h' (groups: g)");
  EXPECT_EQ(MustFail("[groups.h.tasks.c]\ncommand='x'\n[groups.g.tasks.a]\ncommand='x'\ndepends_on = ['h.b']\n"),
            "deploy.toml:5:15: groups.g.tasks.a.depends_on: unknown dependency 'h.b': no task 'b' in group h (tasks: "
            "c; another group's task is GROUP.TASK)");
  EXPECT_EQ(MustFail("[groups.g]\ndepends_on = ['x']\n[groups.g.tasks.a]\ncommand='x'\n"),
            "deploy.toml:2:15: groups.g.depends_on: unknown dependency: no group 'x' (groups: g)");
}

TEST(ResolveWorkflow, CyclesAreNamedAtTheEntryThatClosesThem) {
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand='x'\ndepends_on = ['a']\n"),
            "deploy.toml:3:15: groups.g.tasks.a.depends_on: dependency cycle: g.a -> g.a");
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand='x'\ndepends_on = ['c']\n[groups.g.tasks.b]\ncommand='x'\n"
                     "depends_on = ['a']\n[groups.g.tasks.c]\ncommand='x'\ndepends_on = ['b']\n"),
            "deploy.toml:3:15: groups.g.tasks.a.depends_on: dependency cycle: g.a -> g.c -> g.b -> g.a");
  EXPECT_EQ(MustFail("[groups.g]\ndepends_on = ['h']\n[groups.g.tasks.a]\ncommand='x'\n"
                     "[groups.h]\ndepends_on = ['g']\n[groups.h.tasks.b]\ncommand='x'\n"),
            "deploy.toml:2:15: groups.g.depends_on: dependency cycle: group g -> group h -> group g");
  // A task that needs a group which waits for the task's own group.
  EXPECT_EQ(MustFail("[groups.g.tasks.a]\ncommand='x'\ndepends_on = ['h.b']\n"
                     "[groups.h]\ndepends_on = ['g']\n[groups.h.tasks.b]\ncommand='x'\n"),
            "deploy.toml:3:15: groups.g.tasks.a.depends_on: dependency cycle: g.a -> h.b -> group g -> g.a");
}

TEST(ResolveWorkflow, ALongChainIsFine) {
  std::string chain = "[groups.g.tasks]\nt0.command = 'true'\n";
  for (int i = 1; i < 5000; ++i) {
    chain += "t" + std::to_string(i) + " = { command = 'true', depends_on = ['t" + std::to_string(i - 1) + "'] }\n";
  }
  auto wf = MustLoad(chain);
  EXPECT_EQ(wf.tasks.size(), 5000u);
}

TEST(ResolveWorkflow, SelectedGroupsBringTheGroupsTheyNeed) {
  auto deploy = Load(kDeploy, {}, {}, {"deploy"});
  ASSERT_TRUE(deploy);
  EXPECT_THAT(Names(*deploy), ElementsAre("build.compile", "deploy.test", "deploy.migrate", "deploy.restart"));
  auto docs = Load(kDeploy, {}, {}, {"docs"});
  ASSERT_TRUE(docs);
  EXPECT_THAT(Names(*docs), ElementsAre("docs.render"));
  EXPECT_TRUE(docs->groups[0].depends_on.empty());
  // Through a task's dependency on another group's task too.
  auto through_task =
      Load("[groups.a.tasks.x]\ncommand='x'\n[groups.b.tasks.y]\ncommand='y'\ndepends_on=['a.x']\n", {}, {}, {"b"});
  ASSERT_TRUE(through_task);
  EXPECT_EQ(through_task->tasks.size(), 2u);
  EXPECT_EQ(MustFail(kDeploy, {}, {}, {"nope"}),
            "--group: no group 'nope' in deploy.toml (groups: build, deploy, docs)");
}

TEST(ResolveWorkflow, PlaceholdersOfGroupsNotSelectedAreNotResolved) {
  const char* text = "[groups.a.tasks.x]\ncommand='{{ only_for_a }}'\n[groups.b.tasks.y]\ncommand='y'\n";
  EXPECT_TRUE(Load(text, {}, {}, {"b"}));
  EXPECT_THAT(MustFail(text), HasSubstr("unknown placeholder {{ only_for_a }}"));
}
