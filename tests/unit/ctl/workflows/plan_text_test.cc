#include "ctl/workflows/plan_text.h"

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using sloth::LoadWorkflow;
using sloth::PlanWorkflow;
using sloth::WorkflowSource;

namespace {

std::string Example(const std::string& name) {
  std::ifstream in(std::string(SLOTH_SOURCE_DIR) + "/examples/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

sloth::Workflow LoadExample(const std::string& values_file, std::vector<std::string> sets = {}) {
  WorkflowSource source;
  source.file = {"examples/deploy.toml", Example("deploy.toml")};
  source.values_files.push_back({"examples/" + values_file, Example(values_file)});
  source.sets = std::move(sets);
  auto workflow = LoadWorkflow(source);
  if (!workflow) {
    ADD_FAILURE() << workflow.error().ToString();
    return {};
  }
  return *workflow;
}

}  // namespace

TEST(PlanText, TheExampleDeployInProductionIsFourStages) {
  const auto workflow = LoadExample("prod.toml", {"app_dir=/srv/app"});
  EXPECT_EQ(sloth::ctl::RenderPlanText(workflow, PlanWorkflow(workflow)),
            "workflow deploy (examples/deploy.toml): 5 tasks in 2 groups, 4 stages\n"
            "\n"
            "stage 1\n"
            "  app.build        mkdir -p /srv/app/build (+1 line)                                         timeout 5m\n"
            "\n"
            "stage 2 (these may run in parallel)\n"
            "  app.test         grep -q '1.1.0' /srv/app/build/app\n"
            "  app.lint         test -s /srv/app/build/app\n"
            "\n"
            "stage 3\n"
            "  release.migrate  mkdir -p /srv/app/db && echo '1.1.0' >> /srv/app/db/migrations            2 "
            "retries 2s apart, when run_migrations\n"
            "\n"
            "stage 4\n"
            "  release.restart  cp /srv/app/build/app /srv/app/current && echo 'restarted 1.1.0 in prod'  in /, env "
            "APP_ENV\n"
            "\n"
            "limits\n"
            "  group release: at most 1 task(s) at once\n"
            "  every run: at most the agent's [workflows] max_parallel tasks at once\n");
}

TEST(PlanText, TheExampleDeployInDevelopmentSkipsTheMigration) {
  const auto workflow = LoadExample("dev.toml");
  const std::string text = sloth::ctl::RenderPlanText(workflow, PlanWorkflow(workflow));
  EXPECT_THAT(text, ::testing::HasSubstr("3 stages"));
  EXPECT_THAT(text, ::testing::HasSubstr("skipped (when is false)\n  release.migrate  when run_migrations\n"));
}

TEST(PlanText, JsonHasEveryTaskWithItsStage) {
  const auto workflow = LoadExample("prod.toml");
  const auto json = sloth::ctl::PlanJson(workflow, PlanWorkflow(workflow));
  ASSERT_EQ(json["stages"].size(), 4u);
  EXPECT_EQ(json["stages"][1][0]["task"], "test");
  EXPECT_EQ(json["stages"][1][0]["depends_on"], nlohmann::json::array({"app.build"}));
  EXPECT_EQ(json["stages"][2][0]["retries"], 2);
  EXPECT_EQ(json["stages"][3][0]["env"]["APP_ENV"], "prod");
  EXPECT_EQ(json["groups"][1]["parallel"], 1);
  EXPECT_TRUE(json["skipped"].empty());
}
