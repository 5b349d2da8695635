#include "daemon/core/workflows/workflow_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/daemon/core/workflows/workflow_test_support.h"

using sloth::PlanWorkflow;
using sloth::test::MustLoad;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(WorkflowPlan, AChainIsOneTaskPerStage) {
  auto plan = PlanWorkflow(MustLoad(
      "[groups.g.tasks]\na.command='x'\nb={command='x',depends_on=['a']}\nc={command='x',depends_on=['b']}\n"));
  EXPECT_THAT(plan.stages, ElementsAre(ElementsAre(0u), ElementsAre(1u), ElementsAre(2u)));
  EXPECT_THAT(plan.skipped, IsEmpty());
}

TEST(WorkflowPlan, ADiamondRunsItsMiddleInParallel) {
  auto plan =
      PlanWorkflow(MustLoad("[groups.g.tasks]\na.command='x'\nb={command='x',depends_on=['a']}\n"
                            "c={command='x',depends_on=['a']}\nd={command='x',depends_on=['b','c']}\n"));
  EXPECT_THAT(plan.stages, ElementsAre(ElementsAre(0u), ElementsAre(1u, 2u), ElementsAre(3u)));
}

TEST(WorkflowPlan, AGroupWaitsForTheLastTaskOfTheGroupsItDependsOn) {
  auto plan =
      PlanWorkflow(MustLoad("[groups.a.tasks]\nx.command='x'\ny={command='x',depends_on=['x']}\n"
                            "[groups.b]\ndepends_on=['a']\ntasks.z.command='x'\n[groups.c.tasks.w]\ncommand='x'\n"));
  EXPECT_THAT(plan.stages, ElementsAre(ElementsAre(0u, 3u), ElementsAre(1u), ElementsAre(2u)));
}

TEST(WorkflowPlan, TasksAFalseWhenSkipsAddNoStage) {
  auto plan =
      PlanWorkflow(MustLoad("[groups.g.tasks]\na.command='x'\nb={command='x',depends_on=['a'],when='false'}\n"
                            "c={command='x',depends_on=['b']}\n"));
  EXPECT_THAT(plan.stages, ElementsAre(ElementsAre(0u), ElementsAre(2u)));
  EXPECT_THAT(plan.skipped, ElementsAre(1u));
}
