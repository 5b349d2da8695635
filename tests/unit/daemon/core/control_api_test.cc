// ControlApi, the one dispatch, over a real TaskRunner: what every front end gets back, and the
// audit line each action leaves.
#include "daemon/core/control_api.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/unit/daemon/core/tasks/run_to_end.h"

namespace sloth {
namespace {

// Keeps every message logged, for the audit checks.
class RecordingSink final : public LogSink {
 public:
  explicit RecordingSink(std::vector<std::string>* messages) : messages_(messages) {}
  void Write(const LogRecord& record) override {
    std::lock_guard lock(mutex_);
    messages_->emplace_back(record.message);
  }

 private:
  std::mutex mutex_;
  std::vector<std::string>* messages_;
};

TaskSpec Command(std::string command) {
  TaskSpec spec;
  spec.command = std::move(command);
  return spec;
}

TaskSpec WithEnv(TaskSpec spec, std::string name, std::string value) {
  spec.env.emplace_back(std::move(name), std::move(value));
  return spec;
}

class ControlApiTest : public ::testing::Test {
 protected:
  ControlApi& Api(std::function<Result<ReloadReport>()> reload = {}) {
    api_ = std::make_unique<ControlApi>(
        runner_, workflows_, telemetry_, log_,
        ControlApi::Sources{[] { return AgentInfo{}; }, [] { return std::nullopt; }, std::move(reload)});
    return *api_;
  }
  bool Logged(const std::string& message) const {
    for (const auto& m : messages_) {
      if (m == message) return true;
    }
    return false;
  }

  std::vector<std::string> messages_;
  Logger log_{std::make_unique<RecordingSink>(&messages_), LogLevel::kDebug};
  Telemetry telemetry_{CurrentBuildIdentity("test"), Telemetry::Options{}};
  TaskRunner runner_{TaskRunner::Options{}, telemetry_, log_};
  WorkflowRuns workflows_{WorkflowRuns::Options{}, runner_, telemetry_, log_};
  std::unique_ptr<ControlApi> api_;
  const Caller caller_{"unix", 1000, 4242};
};

TEST_F(ControlApiTest, CancelTask_AnUnknownIdIsToldApartFromAFinishedTask) {
  ControlApi& api = Api();
  const auto unknown = api.CancelTask(caller_, "t-999999-0000");
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(unknown.error().unknown);
  EXPECT_EQ(unknown.error().reason, "no task with id t-999999-0000 (see ListTasks)");

  const TaskResult done = RunToEnd(runner_, Command("true"));
  const auto finished = api.CancelTask(caller_, done.id);
  ASSERT_FALSE(finished);
  EXPECT_FALSE(finished.error().unknown);
  EXPECT_EQ(finished.error().reason, "task " + done.id + " already finished (success)");
  EXPECT_TRUE(Logged("CancelTask " + done.id + " (uid 1000, pid 4242, via unix)"));
}

TEST_F(ControlApiTest, StartTask_ARefusalSaysWhy) {
  ControlApi& api = Api();
  runner_.Shutdown(Duration::zero());
  const auto started = api.StartTask(caller_, Command("true"));
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().kind, RefusalKind::kStopping);
  EXPECT_EQ(started.error().reason, "shutting down");
  EXPECT_TRUE(Logged("StartTask adhoc/adhoc (uid 1000, pid 4242, via unix)"));
}

TEST_F(ControlApiTest, BeginTask_ARefusalSaysWhyAndIsNoTask) {
  ControlApi& api = Api();
  const auto begun = api.BeginTask(caller_, WithEnv(Command("true"), "A=B", "x"));
  ASSERT_FALSE(begun);
  EXPECT_EQ(begun.error().kind, RefusalKind::kInvalid);
  EXPECT_EQ(begun.error().reason, R"(invalid task: bad environment variable name "A=B")");
  EXPECT_TRUE(api.ListTasks(caller_).empty());
}

TEST_F(ControlApiTest, Reload_ReportsTheSourcesOutcomeAndIsAudited) {
  int reloads = 0;
  ControlApi& api = Api([&]() -> Result<ReloadReport> {
    if (++reloads == 1)
      return ReloadReport{"/etc/sloth/slothd.toml", {"agent.name changed: takes effect at the next start"}};
    return Failure{"/etc/sloth/slothd.toml:3:1: prot: unknown key"};
  });
  const auto applied = api.Reload(caller_);
  ASSERT_TRUE(applied);
  EXPECT_EQ(applied->loaded_from, "/etc/sloth/slothd.toml");
  ASSERT_EQ(applied->notes.size(), 1u);
  const auto refused = api.Reload(caller_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "/etc/sloth/slothd.toml:3:1: prot: unknown key");
  EXPECT_TRUE(Logged("Reload (uid 1000, pid 4242, via unix)"));
}

WorkflowSource Workflow(std::string text) {
  WorkflowSource source;
  source.file = {"flow.toml", std::move(text)};
  return source;
}

TEST_F(ControlApiTest, RunWorkflow_RunsItWithItsEventsAndIsAudited) {
  ControlApi& api = Api();
  size_t events = 0;
  const auto run = api.RunWorkflow(caller_,
                                   Workflow("[groups.g.tasks]\na.command='true'\nb={command='exit 2',"
                                            "depends_on=['a']}\nc={command='true',depends_on=['b']}\n"),
                                   [&](const WorkflowEvent&) { ++events; });
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, TaskStatus::kFailed);
  EXPECT_EQ(run->reason, "g.b failed");
  EXPECT_EQ(run->tasks[2].reason, "dependency g.b failed");
  EXPECT_GE(events, 5u);  // started, a, b, c, the group
  EXPECT_TRUE(Logged("RunWorkflow flow (flow.toml, 3 tasks) (uid 1000, pid 4242, via unix)"));
}

TEST_F(ControlApiTest, RunWorkflow_AnInvalidFileIsRefusedWithItsPositionBeforeAnythingRuns) {
  ControlApi& api = Api();
  const auto run = api.RunWorkflow(caller_, Workflow("[groups.g.tasks.a]\ncommand = 'echo {{ who }}'\n"), {});
  ASSERT_FALSE(run);
  EXPECT_TRUE(run.error().invalid);
  EXPECT_EQ(run.error().message.rfind("flow.toml:2:17: groups.g.tasks.a.command: unknown placeholder {{ who }}", 0), 0u)
      << run.error().message;
  EXPECT_TRUE(runner_.List().empty());
  EXPECT_TRUE(api.ListWorkflowRuns(caller_).empty());
}

TEST_F(ControlApiTest, StartWorkflow_IsFollowedByIdAndCancelTaskTakesARunsId) {
  ControlApi& api = Api();
  std::mutex mutex;
  std::condition_variable ended_cv;
  std::optional<WorkflowRunResult> ended;
  const auto id = api.StartWorkflow(
      caller_, Workflow("[groups.g.tasks]\nslow.command='exec sleep 30'\nnext={command='true',depends_on=['slow']}\n"),
      {}, [&](const WorkflowRunResult& run) {
        std::lock_guard lock(mutex);
        ended = run;
        ended_cv.notify_all();
      });
  ASSERT_TRUE(id);
  ASSERT_TRUE(api.GetWorkflowRun(caller_, *id));
  ASSERT_EQ(api.ListWorkflowRuns(caller_).size(), 1u);
  EXPECT_TRUE(api.CancelTask(caller_, *id));
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(ended_cv.wait_for(lock, std::chrono::seconds(20), [&] { return ended.has_value(); }));
  }
  EXPECT_TRUE(ended->cancelled);
  EXPECT_EQ(ended->reason, "cancelled: by uid 1000 via unix");
  const auto again = api.CancelTask(caller_, *id);
  ASSERT_FALSE(again);
  EXPECT_FALSE(again.error().unknown);
  EXPECT_EQ(again.error().reason, "workflow run " + *id + " already finished");
  const auto unknown = api.CancelTask(caller_, "w-999999-0000");
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(unknown.error().unknown);
  EXPECT_TRUE(Logged("CancelTask " + *id + " (uid 1000, pid 4242, via unix)"));
  EXPECT_EQ(api.GetWorkflowRun(caller_, *id)->status, TaskStatus::kFailed);
}

}  // namespace
}  // namespace sloth
