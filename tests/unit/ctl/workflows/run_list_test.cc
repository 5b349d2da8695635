#include "ctl/workflows/run_list.h"

#include <cstdlib>
#include <ctime>

#include <gtest/gtest.h>

namespace sloth::ctl {
namespace {

v1::ListTasksResponse TwoRuns() {
  setenv("TZ", "UTC", 1);
  tzset();
  v1::ListTasksResponse tasks;
  v1::WorkflowRun* running = tasks.add_workflow_runs();
  running->set_id("w-000002-beef");
  running->set_workflow("deploy");
  running->set_status(v1::TASK_STATUS_RUNNING);
  running->set_start_time_unix_ms(1714564800000);
  running->set_duration_seconds(3.2);
  running->set_tasks_succeeded(2);
  running->set_tasks_running(1);
  running->set_tasks_queued(2);
  auto* app = running->add_groups();
  app->set_name("app");
  app->set_status(v1::TASK_STATUS_RUNNING);
  auto* release = running->add_groups();
  release->set_name("release");
  release->set_status(v1::TASK_STATUS_QUEUED);
  v1::WorkflowRun* done = tasks.add_workflow_runs();
  done->set_id("w-000001-abcd");
  done->set_workflow("deploy");
  done->set_status(v1::TASK_STATUS_FAILED);
  done->set_cancelled(true);
  done->set_start_time_unix_ms(1714564700000);
  done->set_duration_seconds(61);
  done->set_tasks_succeeded(1);
  done->set_tasks_failed(1);
  done->set_tasks_skipped(3);
  return tasks;
}

TEST(RunList, NoRunsNoTable) { EXPECT_EQ(RenderWorkflowRunsText(v1::ListTasksResponse()), ""); }

TEST(RunList, ARowPerRunWithItsCountsAndGroups) {
  EXPECT_EQ(RenderWorkflowRunsText(TwoRuns()),
            "\n"
            "RUN            WORKFLOW  STATUS              TASKS                      GROUPS                      "
            "STARTED              DURATION\n"
            "w-000002-beef  deploy    running             2 ok, 1 running, 2 queued  app:running release:queued  "
            "2024-05-01 12:00:00  3.2s\n"
            "w-000001-abcd  deploy    failed (cancelled)  1 ok, 1 failed, 3 skipped                              "
            "2024-05-01 11:58:20  1m1s\n"
            "\n2 workflow runs listed.\n");
}

TEST(RunList, JsonHasTheCountsAndGroups) {
  const auto json = WorkflowRunsJson(TwoRuns());
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["counts"]["queued"], 2);
  EXPECT_EQ(json[0]["groups"][1]["status"], "queued");
  EXPECT_EQ(json[1]["cancelled"], true);
  EXPECT_EQ(json[1]["status"], "failed");
}

}  // namespace
}  // namespace sloth::ctl
