// WorkflowRuns and WorkflowExecution against real processes and a real TaskRunner: the order tasks
// run in, the limits, failures and their skips, retries, `when`, timeouts, cancel and stop, the
// metrics and the log fields a run leaves. Synchronisation is on files the tasks write and on
// the run's own events; no sleeps in the test.
#include "daemon/core/workflow_runs/workflow_runs.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/exposition_sample.h"

namespace sloth {
namespace {

using namespace std::chrono_literals;
using test::Sample;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Keeps every record logged, with its fields.
class RecordingSink final : public LogSink {
 public:
  struct Record {
    std::string message, message_id;
    std::map<std::string, std::string> fields;
  };
  void Write(const LogRecord& record) override {
    std::lock_guard lock(mutex_);
    Record r{std::string(record.message), std::string(record.message_id), {}};
    for (const LogField& f : record.fields) r.fields[std::string(f.key)] = f.value;
    records_.push_back(std::move(r));
  }
  std::vector<Record> records() const {
    std::lock_guard lock(mutex_);
    return records_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Record> records_;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Collects a run's events; lets the test wait until one it names arrived.
class EventLog {
 public:
  WorkflowEventSink Sink() {
    return [this](const WorkflowEvent& event) {
      std::lock_guard lock(mutex_);
      if (const auto* started = std::get_if<WorkflowRunResult>(&event)) {
        lines_.push_back("started " + started->id);
      } else if (const auto* task = std::get_if<WorkflowTaskChange>(&event)) {
        lines_.push_back(task->task.group + "." + task->task.name + " " +
                         std::string(TaskStatusName(task->task.status)));
      } else if (const auto* group = std::get_if<WorkflowGroupChange>(&event)) {
        lines_.push_back("group " + group->group.name + " " + std::string(TaskStatusName(group->group.status)));
      }
      changed_.notify_all();
    };
  }
  bool WaitFor(const std::string& line) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 20s, [&] { return std::find(lines_.begin(), lines_.end(), line) != lines_.end(); });
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
};

class WorkflowRunsTest : public ::testing::Test {
 protected:
  WorkflowRunsTest() {
    char pattern[] = "/tmp/sloth-flow-XXXXXX";
    dir_ = ::mkdtemp(pattern);
  }
  ~WorkflowRunsTest() override { std::filesystem::remove_all(dir_); }

  WorkflowRuns& Runs(uint32_t max_parallel = 16) {
    if (!runs_)
      runs_ = std::make_unique<WorkflowRuns>(WorkflowRuns::Options{max_parallel, 20}, runner_, telemetry_, log_);
    return *runs_;
  }

  // `text` with every $D replaced by the test's directory.
  Workflow Load(std::string text, std::vector<std::string> sets = {}) {
    for (size_t at = text.find("$D"); at != std::string::npos; at = text.find("$D", at)) text.replace(at, 2, dir_);
    WorkflowSource source;
    source.file = {"flow.toml", std::move(text)};
    source.sets = std::move(sets);
    auto workflow = LoadWorkflow(source);
    if (!workflow) ADD_FAILURE() << workflow.error().ToString();
    return workflow ? *workflow : Workflow{};
  }

  WorkflowRunResult RunToEnd(Workflow workflow, const WorkflowEventSink& sink = {}) {
    auto result = Runs().Run(std::move(workflow), sink);
    if (!result) ADD_FAILURE() << result.error().message;
    return result ? *result : WorkflowRunResult{};
  }

  std::string D(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
  Telemetry telemetry_{CurrentBuildIdentity("test"), Telemetry::Options{}};
  RecordingSink* records_ = new RecordingSink;
  Logger log_{std::unique_ptr<LogSink>(records_), LogLevel::kInfo};
  TaskRunner runner_{[] {
                       TaskRunner::Options options;
                       options.max_concurrent = 32;
                       options.kill_grace = 2s;
                       return options;
                     }(),
                     telemetry_, log_};
  std::unique_ptr<WorkflowRuns> runs_;
};

const WorkflowRunTask& TaskNamed(const WorkflowRunResult& run, const std::string& qualified) {
  for (const auto& task : run.tasks) {
    if (task.group + "." + task.name == qualified) return task;
  }
  static const WorkflowRunTask none;
  ADD_FAILURE() << "no task " << qualified;
  return none;
}

TEST_F(WorkflowRunsTest, AChainRunsInOrderAndSucceeds) {
  const auto run = RunToEnd(Load(R"(
[groups.g.tasks]
a.command = "echo a >> $D/order"
b = { command = "echo b >> $D/order", depends_on = ["a"] }
c = { command = "echo c >> $D/order", depends_on = ["b"] }
)"));
  EXPECT_THAT(Lines(ReadText(D("order"))), ElementsAre("a", "b", "c"));
  EXPECT_EQ(run.status, TaskStatus::kSuccess);
  EXPECT_EQ(run.counts.success, 3u);
  EXPECT_TRUE(run.reason.empty());
  EXPECT_THAT(run.id, ::testing::StartsWith("w-"));
  EXPECT_EQ(run.groups[0].status, TaskStatus::kSuccess);
  for (const auto& task : run.tasks) {
    EXPECT_THAT(task.last.id, ::testing::StartsWith("t-"));
    EXPECT_EQ(task.last.run_id, run.id);
    EXPECT_EQ(task.last.workflow, "flow");
    EXPECT_EQ(task.attempts, 1u);
  }
}

TEST_F(WorkflowRunsTest, ADiamondJoinsAfterBothMiddles) {
  RunToEnd(Load(R"(
[groups.g.tasks]
a.command = "echo a >> $D/order"
b = { command = "echo b >> $D/order", depends_on = ["a"] }
c = { command = "echo c >> $D/order", depends_on = ["a"] }
d = { command = "echo d >> $D/order", depends_on = ["b", "c"] }
)"));
  const auto order = Lines(ReadText(D("order")));
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order.front(), "a");
  EXPECT_EQ(order.back(), "d");
}

// Each task waits until three run at once: they can only end if the executor ran three side by
// side (else they time out), and none ever counts more than three.
TEST_F(WorkflowRunsTest, AWideFanOutRunsUpToItsLimitAtOnceAndNoMore) {
  std::string text = "[groups.g]\nparallel = 3\n[groups.g.tasks]\n";
  for (int i = 0; i < 8; ++i) {
    text += "t" + std::to_string(i) +
            " = { timeout = '20s', command = '''mkdir -p $D/r; touch $D/r/$$; ls $D/r | wc -l >> $D/counts; "
            "until [ -e $D/go ] || [ $(ls $D/r | wc -l) -ge 3 ]; do sleep 0.01; done; touch $D/go; rm $D/r/$$''' }\n";
  }
  const auto run = RunToEnd(Load(text));
  EXPECT_EQ(run.status, TaskStatus::kSuccess) << run.reason;
  for (const std::string& count : Lines(ReadText(D("counts")))) EXPECT_LE(std::stoi(count), 3);
  EXPECT_EQ(Lines(ReadText(D("counts"))).size(), 8u);
}

TEST_F(WorkflowRunsTest, TheAgentsLimitCapsARunWhoseFileAsksForMore) {
  std::string text = "[groups.g]\nparallel = 50\n[groups.g.tasks]\n";
  for (int i = 0; i < 6; ++i) {
    text += "t" + std::to_string(i) +
            " = { command = '''mkdir -p $D/r; touch $D/r/$$; ls $D/r | wc -l >> $D/counts; rm $D/r/$$''' }\n";
  }
  Runs(2);
  const auto run = RunToEnd(Load(text));
  EXPECT_EQ(run.status, TaskStatus::kSuccess);
  for (const std::string& count : Lines(ReadText(D("counts")))) EXPECT_LE(std::stoi(count), 2);
}

TEST_F(WorkflowRunsTest, AFailureSkipsItsDependantsWithTheReasonAndTheRestRuns) {
  EventLog events;
  const auto run = RunToEnd(Load(R"(
[groups.build.tasks.compile]
command = "echo compiling; exit 3"
[groups.build.tasks.docs]
command = "true"
[groups.deploy]
depends_on = ["build"]
[groups.deploy.tasks.push]
command = "touch $D/pushed"
[groups.check.tasks.lint]
command = "true"
[groups.check.tasks.report]
command = "true"
depends_on = ["build.compile"]
)"),
                            events.Sink());
  EXPECT_EQ(run.status, TaskStatus::kFailed);
  EXPECT_EQ(run.reason, "build.compile failed");
  const auto& compile = TaskNamed(run, "build.compile");
  EXPECT_EQ(compile.status, TaskStatus::kFailed);
  EXPECT_EQ(compile.reason, "exit code 3");
  EXPECT_EQ(compile.last.exit_code, 3);
  EXPECT_EQ(compile.last.kept_output, "compiling\n");  // a failure keeps its output
  EXPECT_EQ(TaskNamed(run, "build.docs").status, TaskStatus::kSuccess);
  EXPECT_EQ(TaskNamed(run, "deploy.push").status, TaskStatus::kSkipped);
  EXPECT_EQ(TaskNamed(run, "deploy.push").reason, "dependency group build failed (build.compile failed)");
  EXPECT_EQ(TaskNamed(run, "check.report").reason, "dependency build.compile failed");
  EXPECT_EQ(TaskNamed(run, "check.lint").status, TaskStatus::kSuccess);
  EXPECT_FALSE(std::filesystem::exists(D("pushed")));
  EXPECT_EQ(run.groups[0].status, TaskStatus::kFailed);
  EXPECT_EQ(run.groups[1].status, TaskStatus::kSkipped);
  EXPECT_EQ(run.groups[2].status, TaskStatus::kFailed);
  // The stream: the run first, each task's final status once, then its group.
  const auto lines = events.lines();
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines.front(), ::testing::StartsWith("started w-"));
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "deploy.push skipped"), 1);
  const auto compile_failed = std::find(lines.begin(), lines.end(), "build.compile failed");
  const auto push_skipped = std::find(lines.begin(), lines.end(), "deploy.push skipped");
  const auto deploy_skipped = std::find(lines.begin(), lines.end(), "group deploy skipped");
  EXPECT_LT(compile_failed, push_skipped);
  EXPECT_LT(push_skipped, deploy_skipped);
}

TEST_F(WorkflowRunsTest, RetriesRunAgainUntilSuccessAndEachAttemptCounts) {
  const auto run = RunToEnd(Load(R"(
[groups.g.tasks.flaky]
command = "echo x >> $D/attempts; [ $(wc -l < $D/attempts) -ge 3 ]"
retries = 4
retry_delay = "10ms"
[groups.g.tasks.after]
command = "true"
depends_on = ["flaky"]
)"));
  EXPECT_EQ(run.status, TaskStatus::kSuccess);
  const auto& flaky = TaskNamed(run, "g.flaky");
  EXPECT_EQ(flaky.attempts, 3u);
  EXPECT_EQ(flaky.status, TaskStatus::kSuccess);
  EXPECT_EQ(Lines(ReadText(D("attempts"))).size(), 3u);
  const std::string text = telemetry_.ExpositionText();
  EXPECT_EQ(Sample(text, "sloth_tasks_total", {"group=\"g\"", "status=\"failed\""}), 2);
  EXPECT_EQ(Sample(text, "sloth_tasks_total", {"group=\"g\"", "status=\"success\""}), 2);
}

// A task the runner refuses (its queue is full) never ran: it fails in the run with the reason and
// no task id, and is counted as a refusal, not as a failed task.
TEST_F(WorkflowRunsTest, ATaskTheRunnerRefusesFailsInTheRunWithTheReasonAndIsNoTask) {
  TaskRunner::Options options;
  options.max_concurrent = 1;
  options.max_queued = 0;
  TaskRunner small(options, telemetry_, log_);
  WorkflowRuns runs(WorkflowRuns::Options{2, 20}, small, telemetry_, log_);
  // Both start at once; whichever comes second finds the one slot taken, and the first waits for
  // the refusal before it ends.
  const std::string wait = "until [ -e $D/refused ]; do sleep 0.01; done";
  auto run =
      runs.Run(Load("[groups.g.tasks.a]\ncommand = '" + wait + "'\n[groups.g.tasks.b]\ncommand = '" + wait + "'\n"),
               [&](const WorkflowEvent& event) {
                 const auto* change = std::get_if<WorkflowTaskChange>(&event);
                 if (change != nullptr && change->task.status == TaskStatus::kFailed) {
                   std::ofstream(D("refused")) << "\n";
                 }
               });
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(run->status, TaskStatus::kFailed);
  const bool a_refused = TaskNamed(*run, "g.a").status == TaskStatus::kFailed;
  const WorkflowRunTask& refused = TaskNamed(*run, a_refused ? "g.a" : "g.b");
  const WorkflowRunTask& ran = TaskNamed(*run, a_refused ? "g.b" : "g.a");
  EXPECT_EQ(ran.status, TaskStatus::kSuccess);
  EXPECT_EQ(refused.status, TaskStatus::kFailed);
  EXPECT_EQ(refused.reason,
            "refused: queue full: 1 tasks running (max_concurrent), 0 waiting (max_queued); try again later");
  EXPECT_TRUE(refused.last.id.empty());
  const std::string text = telemetry_.ExpositionText();
  EXPECT_EQ(Sample(text, "sloth_tasks_total", {"group=\"g\"", "status=\"success\""}), 1);
  EXPECT_LT(Sample(text, "sloth_tasks_total", {"group=\"g\"", "status=\"failed\""}), 1);
  EXPECT_EQ(Sample(text, "sloth_errors_total", {"type=\"task_refused\""}), 1);
}

TEST_F(WorkflowRunsTest, ExhaustedRetriesFailWithTheLastAttemptsReason) {
  EventLog events;
  const auto run = RunToEnd(Load("[groups.g.tasks.t]\ncommand = 'exit 7'\nretries = 2\n"), events.Sink());
  const auto& task = TaskNamed(run, "g.t");
  EXPECT_EQ(task.status, TaskStatus::kFailed);
  EXPECT_EQ(task.attempts, 3u);
  EXPECT_EQ(task.reason, "exit code 7");
  // Between attempts the task is reported running, with the reason it waits.
  const auto lines = events.lines();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "g.t running"), 2);
}

TEST_F(WorkflowRunsTest, AFalseWhenSkipsTheTaskAndItsDependantsStillRun) {
  const auto run = RunToEnd(Load(R"(
[values]
env = "dev"
[groups.g.tasks]
build.command = "echo build >> $D/order"
migrate = { command = "echo migrate >> $D/order", depends_on = ["build"], when = "env == 'prod'" }
restart = { command = "echo restart >> $D/order", depends_on = ["migrate"] }
)"));
  EXPECT_EQ(run.status, TaskStatus::kSuccess);
  EXPECT_THAT(Lines(ReadText(D("order"))), ElementsAre("build", "restart"));
  EXPECT_EQ(TaskNamed(run, "g.migrate").status, TaskStatus::kSkipped);
  EXPECT_EQ(TaskNamed(run, "g.migrate").reason, "when: env == 'prod' is false");
}

TEST_F(WorkflowRunsTest, ATimeoutFailsTheTaskAndSkipsWhatNeedsIt) {
  const auto run = RunToEnd(Load(R"(
[groups.g.tasks.slow]
command = "sleep 30"
timeout = "200ms"
[groups.g.tasks.next]
command = "true"
depends_on = ["slow"]
)"));
  const auto& slow = TaskNamed(run, "g.slow");
  EXPECT_EQ(slow.status, TaskStatus::kFailed);
  EXPECT_TRUE(slow.last.timed_out);
  EXPECT_EQ(slow.reason, "timed out after 200ms");
  EXPECT_EQ(TaskNamed(run, "g.next").reason, "dependency g.slow failed");
}

TEST_F(WorkflowRunsTest, CancelStopsWhatRunsSkipsTheRestAndLeavesNoProcess) {
  EventLog events;
  const Workflow workflow = Load(R"(
[groups.g.tasks]
a.command = "echo $$ > $D/a.pid; exec sleep 30"
b.command = "echo $$ > $D/b.pid; exec sleep 30"
c = { command = "true", depends_on = ["a"] }
[groups.h]
depends_on = ["g"]
tasks.d.command = "true"
)");
  std::optional<WorkflowRunResult> result;
  std::thread runner([&] { result = RunToEnd(workflow, events.Sink()); });
  ASSERT_TRUE(events.WaitFor("g.a running"));
  ASSERT_TRUE(events.WaitFor("g.b running"));
  const auto listed = Runs().List();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].status, TaskStatus::kRunning);
  EXPECT_EQ(listed[0].counts.running, 2u);
  EXPECT_EQ(Runs().Cancel(listed[0].id, "by the caller"), WorkflowRuns::CancelOutcome::kCancelled);
  runner.join();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, TaskStatus::kFailed);
  EXPECT_TRUE(result->cancelled);
  EXPECT_EQ(result->reason, "cancelled: by the caller");
  EXPECT_TRUE(TaskNamed(*result, "g.a").last.cancelled);
  EXPECT_EQ(TaskNamed(*result, "g.b").status, TaskStatus::kFailed);
  EXPECT_EQ(TaskNamed(*result, "g.c").reason, "cancelled: by the caller");
  EXPECT_EQ(TaskNamed(*result, "h.d").status, TaskStatus::kSkipped);
  for (const char* pidfile : {"a.pid", "b.pid"}) {
    const pid_t pid = std::stoi(ReadText(D(pidfile)));
    EXPECT_EQ(::kill(pid, 0), -1) << pidfile;
    EXPECT_EQ(errno, ESRCH) << pidfile;
  }
  EXPECT_EQ(Runs().Cancel(listed[0].id, "again"), WorkflowRuns::CancelOutcome::kFinished);
  EXPECT_EQ(Runs().Cancel("w-999999-0000", "x"), WorkflowRuns::CancelOutcome::kUnknown);
}

TEST_F(WorkflowRunsTest, StoppingLetsRunningTasksFinishWhenAskedAndRefusesNewRuns) {
  EventLog events;
  Workflow workflow = Load(R"(
[groups.g.tasks]
a.command = "until [ -e $D/release ]; do sleep 0.01; done; touch $D/a-done"
b = { command = "touch $D/b-ran", depends_on = ["a"] }
)");
  std::optional<WorkflowRunResult> result;
  std::thread runner([&] { result = RunToEnd(workflow, events.Sink()); });
  ASSERT_TRUE(events.WaitFor("g.a running"));
  Runs().Stop("the agent is stopping", /*stop_running=*/false);
  EXPECT_FALSE(Runs().Run(workflow, {}));  // refused
  std::ofstream(D("release")).put('\n');
  runner.join();
  EXPECT_EQ(TaskNamed(*result, "g.a").status, TaskStatus::kSuccess);
  EXPECT_TRUE(std::filesystem::exists(D("a-done")));
  EXPECT_EQ(TaskNamed(*result, "g.b").reason, "cancelled: the agent is stopping");
  EXPECT_FALSE(std::filesystem::exists(D("b-ran")));
  EXPECT_EQ(result->reason, "cancelled: the agent is stopping");
}

TEST_F(WorkflowRunsTest, MetricsCountEveryTaskGroupAndSkip) {
  const auto run = RunToEnd(Load(R"(
[groups.build.tasks]
compile.command = "true"
test = { command = "exit 1", depends_on = ["compile"] }
[groups.release]
depends_on = ["build"]
tasks.push.command = "true"
tasks.tag.command = "true"
)"));
  const std::string text = telemetry_.ExpositionText();
  EXPECT_EQ(Sample(text, "sloth_tasks_total", {"group=\"build\"", "status=\"success\""}), 1);
  EXPECT_EQ(Sample(text, "sloth_tasks_total", {"group=\"build\"", "status=\"failed\""}), 1);
  EXPECT_EQ(Sample(text, "sloth_tasks_total", {"group=\"release\"", "status=\"skipped\""}), 2);
  EXPECT_EQ(Sample(text, "sloth_task_duration_seconds_count", {"group=\"build\"", "task=\"compile\""}), 1);
  EXPECT_EQ(Sample(text, "sloth_task_duration_seconds_count", {"group=\"release\""}), -1);  // skipped: no duration
  EXPECT_EQ(Sample(text, "sloth_task_groups_total", {"group=\"build\"", "status=\"failed\""}), 1);
  EXPECT_EQ(Sample(text, "sloth_task_groups_total", {"group=\"release\"", "status=\"skipped\""}), 1);
  EXPECT_EQ(Sample(text, "sloth_task_group_duration_seconds_count", {"group=\"build\""}), 1);
  EXPECT_EQ(Sample(text, "sloth_task_group_duration_seconds_count", {"group=\"release\""}), -1);
  EXPECT_EQ(Sample(text, "sloth_tasks_running"), 0);
}

TEST_F(WorkflowRunsTest, EveryRecordOfARunCarriesTheWorkflowAndTheRunId) {
  const auto run =
      RunToEnd(Load("[groups.g.tasks]\na.command = 'exit 1'\nb = { command = 'true', depends_on = ['a'] }\n"));
  size_t task_records = 0;
  std::set<std::string> kinds;
  for (const auto& record : records_->records()) {
    if (record.fields.count("SLOTH_RUN_ID") == 0) continue;
    EXPECT_EQ(record.fields.at("SLOTH_RUN_ID"), run.id) << record.message;
    EXPECT_EQ(record.fields.at("SLOTH_WORKFLOW"), "flow") << record.message;
    kinds.insert(record.message_id);
    task_records += record.fields.count("SLOTH_TASK");
  }
  EXPECT_EQ(kinds.size(), 6u);  // started, task started, task finished, skipped, group finished, finished
  EXPECT_EQ(task_records, 3u);  // a started, a finished, b skipped
}

TEST_F(WorkflowRunsTest, StartRunsInTheBackgroundAndGetFollowsIt) {
  EventLog events;
  std::optional<WorkflowRunResult> ended;
  auto id = Runs().Start(Load("[groups.g.tasks.a]\ncommand = 'until [ -e $D/release ]; do sleep 0.01; done'\n"),
                         events.Sink(), [&](const WorkflowRunResult& result) { ended = result; });
  ASSERT_TRUE(id) << id.error().message;
  ASSERT_TRUE(events.WaitFor("g.a running"));
  auto running = Runs().Get(*id);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->status, TaskStatus::kRunning);
  EXPECT_EQ(running->tasks.size(), 1u);
  std::ofstream(D("release")).put('\n');
  ASSERT_TRUE(events.WaitFor("group g success"));
  runs_.reset();                  // waits for the run's thread
  EXPECT_FALSE(Runs().Get(*id));  // a new registry remembers nothing
}

}  // namespace
}  // namespace sloth
