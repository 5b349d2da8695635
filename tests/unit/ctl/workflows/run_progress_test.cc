#include "ctl/workflows/run_progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sloth::ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kStart = 1'700'000'000'000;  // the run's start, Unix ms

v1::WorkflowTask Task(uint32_t index, std::string group, std::string name, v1::TaskStatus status) {
  v1::WorkflowTask task;
  task.set_index(index);
  task.set_group(std::move(group));
  task.set_name(std::move(name));
  task.set_status(status);
  return task;
}

v1::WorkflowEvent Started() {
  v1::WorkflowEvent event;
  v1::WorkflowRun* run = event.mutable_started();
  run->set_id("w-000001-abcd");
  run->set_workflow("deploy");
  run->set_start_time_unix_ms(kStart);
  *run->add_tasks() = Task(0, "app", "build", v1::TASK_STATUS_QUEUED);
  *run->add_tasks() = Task(1, "app", "test", v1::TASK_STATUS_QUEUED);
  run->mutable_tasks(1)->add_depends_on("app.build");
  *run->add_tasks() = Task(2, "release", "restart", v1::TASK_STATUS_QUEUED);
  run->add_groups()->set_name("app");
  run->add_groups()->set_name("release");
  return event;
}

v1::WorkflowEvent Change(v1::WorkflowTask task) {
  v1::WorkflowEvent event;
  *event.mutable_task() = std::move(task);
  return event;
}

v1::WorkflowTask Running(uint32_t index, std::string group, std::string name, int64_t started) {
  v1::WorkflowTask task = Task(index, std::move(group), std::move(name), v1::TASK_STATUS_RUNNING);
  task.set_attempts(1);
  task.mutable_last()->set_id("t-00000" + std::to_string(index + 1) + "-abcd");
  task.mutable_last()->set_start_time_unix_ms(started);
  return task;
}

v1::WorkflowTask Ended(uint32_t index, std::string group, std::string name, v1::TaskStatus status, double seconds,
                       int exit_code, std::string reason = "") {
  v1::WorkflowTask task = Running(index, std::move(group), std::move(name), kStart);
  task.set_status(status);
  task.set_reason(std::move(reason));
  task.mutable_last()->set_status(status);
  task.mutable_last()->set_duration_seconds(seconds);
  task.mutable_last()->set_end_time_unix_ms(kStart + static_cast<int64_t>(seconds * 1000));
  task.mutable_last()->set_exit_code(exit_code);
  return task;
}

TEST(RunProgress, TheLiveFrameHasAHeaderAndALinePerTaskWithStateAndElapsed) {
  RunProgress progress;
  progress.Apply(Started());
  progress.Apply(Change(Ended(0, "app", "build", v1::TASK_STATUS_SUCCESS, 0.4, 0)));
  progress.Apply(Change(Running(1, "app", "test", kStart + 400)));
  const auto frame = progress.LiveFrame(kStart + 2'000, 100, 20, {});
  EXPECT_THAT(
      frame,
      ElementsAre("workflow deploy · run w-000001-abcd · 1/3 succeeded, 1 running, 0 failed, 0 skipped · 2s",
                  "app.build        success   400ms", "app.test         running   1.6s", "release.restart  queued"));
  // A change keeps the dependencies the started event listed.
  EXPECT_EQ(progress.run().tasks(1).depends_on(0), "app.build");
}

TEST(RunProgress, EmojiAndColourMarkTheStates) {
  RunProgress progress;
  progress.Apply(Started());
  progress.Apply(Change(Ended(0, "app", "build", v1::TASK_STATUS_FAILED, 0.1, 2, "exit code 2")));
  const auto frame = progress.LiveFrame(kStart + 500, 100, 20, {.colour = true, .emoji = true});
  EXPECT_EQ(frame[1], "❌ app.build        \x1b[1;31mfailed  \x1b[0m  100ms    exit code 2");
}

TEST(RunProgress, PastTheScreenRunningAndFailedTasksStayAndTheRestIsCounted) {
  v1::WorkflowEvent started = Started();
  for (uint32_t i = 3; i < 30; ++i)
    *started.mutable_started()->add_tasks() = Task(i, "wide", "t" + std::to_string(i), v1::TASK_STATUS_QUEUED);
  RunProgress progress;
  progress.Apply(started);
  progress.Apply(Change(Running(25, "wide", "t25", kStart)));
  const auto frame = progress.LiveFrame(kStart, 80, 6, {});
  ASSERT_EQ(frame.size(), 6u);  // header, 4 tasks in file order, the count
  EXPECT_THAT(frame[4], HasSubstr("wide.t25"));
  EXPECT_EQ(frame.back(), "… 26 more task(s) not shown");
}

TEST(RunProgress, LinesFitTheWidth) {
  RunProgress progress;
  progress.Apply(Started());
  progress.Apply(Change(Ended(0, "app", "build", v1::TASK_STATUS_FAILED, 0.1, 2, std::string(300, 'x'))));
  for (const auto& line : progress.LiveFrame(kStart, 40, 20, {})) EXPECT_LE(line.size(), 42u) << line;
}

TEST(RunProgress, TheSummaryHasTheTasksTheGroupsTheFailedOutputAndAClosingLine) {
  RunProgress progress;
  progress.Apply(Started());
  v1::WorkflowEvent result;
  v1::WorkflowRun* run = result.mutable_result();
  *run = Started().started();
  run->set_status(v1::TASK_STATUS_FAILED);
  run->set_reason("app.test failed");
  run->set_duration_seconds(1.5);
  run->set_tasks_succeeded(1);
  run->set_tasks_failed(1);
  run->set_tasks_skipped(1);
  *run->mutable_tasks(0) = Ended(0, "app", "build", v1::TASK_STATUS_SUCCESS, 0.4, 0);
  *run->mutable_tasks(1) = Ended(1, "app", "test", v1::TASK_STATUS_FAILED, 1.1, 3, "exit code 3");
  run->mutable_tasks(1)->add_depends_on("app.build");
  run->mutable_tasks(1)->mutable_last()->set_kept_output("line 1\nline 2\nassertion failed\n");
  run->mutable_tasks(2)->set_status(v1::TASK_STATUS_SKIPPED);
  run->mutable_tasks(2)->set_reason("dependency group app failed (app.test failed)");
  run->mutable_groups(0)->set_status(v1::TASK_STATUS_FAILED);
  run->mutable_groups(0)->set_duration_seconds(1.5);
  run->mutable_groups(1)->set_status(v1::TASK_STATUS_SKIPPED);
  progress.Apply(result);
  ASSERT_TRUE(progress.finished());
  EXPECT_EQ(progress.Summary({}),
            "TASK             STATUS   ATTEMPTS  DURATION  EXIT  REASON\n"
            "app.build        success  1         400ms     0\n"
            "app.test         failed   1         1.1s      3     exit code 3\n"
            "release.restart  skipped  0         -         -     dependency group app failed (app.test failed)\n"
            "\n"
            "GROUP    STATUS   DURATION\n"
            "app      failed   1.5s\n"
            "release  skipped  -\n"
            "\n"
            "--- output of app.test (t-000002-abcd), last lines:\n"
            "line 1\nline 2\nassertion failed\n"
            "\n"
            "workflow deploy run w-000001-abcd: failed (app.test failed) in 1.5s: 1 succeeded, 1 failed, 1 skipped\n");
  const auto json = progress.Json();
  EXPECT_EQ(json["status"], "failed");
  EXPECT_EQ(json["tasks"][1]["last_attempt"]["exit_code"], 3);
  EXPECT_EQ(json["tasks"][1]["last_attempt"]["output"], "line 1\nline 2\nassertion failed\n");
  EXPECT_EQ(json["tasks"][1]["depends_on"], nlohmann::json::array({"app.build"}));
  EXPECT_TRUE(json["tasks"][2]["last_attempt"].is_null());
  EXPECT_EQ(json["counts"]["skipped"], 1);
}

TEST(RunProgress, PlainLinesSayWhatChanged) {
  EXPECT_EQ(PlainProgressLine(Started()), "workflow deploy run w-000001-abcd started: 3 tasks in 2 groups");
  EXPECT_EQ(PlainProgressLine(Change(Running(1, "app", "test", kStart))), "app.test: running (t-000002-abcd)");
  EXPECT_EQ(PlainProgressLine(Change(Ended(1, "app", "test", v1::TASK_STATUS_FAILED, 1.1, 3, "exit code 3"))),
            "app.test: failed in 1.1s (exit code 3)");
  v1::WorkflowTask retrying = Running(1, "app", "test", kStart);
  retrying.set_reason("attempt 1 failed (exit code 3); attempt 2 in 5s");
  EXPECT_EQ(WorkflowTaskState(retrying), "retrying");
  EXPECT_EQ(PlainProgressLine(Change(retrying)), "app.test: attempt 1 failed (exit code 3); attempt 2 in 5s");
  v1::WorkflowTask skipped = Task(2, "release", "restart", v1::TASK_STATUS_SKIPPED);
  skipped.set_reason("when: env == 'prod' is false");
  EXPECT_EQ(PlainProgressLine(Change(skipped)), "release.restart: skipped (when: env == 'prod' is false)");
  v1::WorkflowEvent group;
  group.mutable_group()->set_name("app");
  group.mutable_group()->set_status(v1::TASK_STATUS_RUNNING);
  EXPECT_EQ(PlainProgressLine(group), "");
  group.mutable_group()->set_status(v1::TASK_STATUS_SUCCESS);
  group.mutable_group()->set_duration_seconds(2);
  EXPECT_EQ(PlainProgressLine(group), "group app: success in 2s");
}

}  // namespace
}  // namespace sloth::ctl
