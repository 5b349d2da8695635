// Unit mode through the runner, without a service manager: UnitStarter and UnitTask against
// LocalUnits, which runs the real slothd-task-exec as each unit's main process. What only systemd
// does (cgroups, users, limits) is tested in tests/system/nspawn_test.sh.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "daemon/core/tasks/task_runner.h"
#include "daemon/core/tasks/unit_starter.h"
#include "tests/unit/daemon/core/tasks/local_units.h"
#include "tests/unit/daemon/core/tasks/run_to_end.h"

namespace sloth {
namespace {

using namespace std::chrono_literals;

// Whether `pid` is gone or dead (a zombie), within a bound: a group SIGKILL takes effect at once,
// the reaping by whoever inherited it may take a moment.
bool Dead(pid_t pid) {
  for (auto until = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < until;) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    const size_t paren = line.rfind(')');
    if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z') return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

class UnitTaskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sloth-units-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    runner_.reset();
    std::filesystem::remove_all(dir_);
  }
  TaskRunner& MakeRunner(TaskRunner::Options options = {}, LimitSupport support = {}) {
    starter_ = std::make_unique<UnitStarter>(units_, std::move(support), "test-agent");
    options.starter = starter_.get();
    options.kill_grace = 2s;
    runner_ = std::make_unique<TaskRunner>(std::move(options), telemetry_, log_);
    return *runner_;
  }
  std::string Path(std::string_view name) const { return dir_ + "/" + std::string(name); }

  std::string dir_;
  Logger log_{std::make_unique<ConsoleLogSink>(stderr)};
  Telemetry telemetry_{CurrentBuildIdentity("test"), {}};
  LocalUnits units_{SLOTH_TASK_EXEC};
  std::unique_ptr<UnitStarter> starter_;
  std::unique_ptr<TaskRunner> runner_;  // last: destroyed before what it refers to
};

TEST_F(UnitTaskTest, OutputStreamsAndTheMainProcessReportsWhatTheTaskUsed) {
  TaskRunner& runner = MakeRunner();
  std::string streamed;
  const TaskResult r =
      RunToEnd(runner, Shell("echo out; echo err >&2; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"),
               [&](OutputStream, std::string_view chunk) { streamed += chunk; });
  EXPECT_EQ(r.status, TaskStatus::kSuccess) << r.reason;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.kept_output, streamed);
  EXPECT_NE(r.kept_output.find("out\n"), std::string::npos);
  EXPECT_NE(r.kept_output.find("err\n"), std::string::npos);
  EXPECT_EQ(r.unit, "sloth-task-" + r.id + ".service");
  EXPECT_EQ(r.user, "root");
  EXPECT_TRUE(r.usage.measured);
  EXPECT_GT(r.usage.cpu_seconds, 0);
  EXPECT_GT(r.usage.memory_peak_bytes, 0u);
  const std::string metrics = telemetry_.ExpositionText();
  EXPECT_NE(metrics.find("sloth_task_cpu_seconds_total{group=\"adhoc\",task=\"adhoc\"}"), std::string::npos);
  EXPECT_NE(metrics.find("sloth_task_memory_peak_bytes_count{group=\"adhoc\",task=\"adhoc\"} 1"), std::string::npos);
}

TEST_F(UnitTaskTest, TheUnitGetsTheTaskAsItsShellCommandWithJournalNames) {
  TaskRunner& runner = MakeRunner();
  TaskSpec spec = Shell("echo \"$GREETING\" $HOME_UNEXPANDED");
  spec.name = "deploy";
  spec.group = "web";
  spec.env = {{"GREETING", "hi"}};
  spec.workdir = dir_;
  const TaskResult r = RunToEnd(runner, spec);
  EXPECT_EQ(r.kept_output, "hi\n");
  const auto started = units_.started();
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].unit, r.unit);
  EXPECT_EQ(started[0].agent, "test-agent");
  EXPECT_EQ(started[0].task_name, "deploy");
  EXPECT_EQ(started[0].group, "web");
  EXPECT_EQ(started[0].workdir, dir_);
  EXPECT_EQ(started[0].kill_grace, 2s);
  EXPECT_GT(started[0].runtime_max, std::chrono::hours(1));  // the default timeout, plus a backstop
}

TEST_F(UnitTaskTest, StdinIsDevNullAndNothingButStdioIsInherited) {
  TaskRunner& runner = MakeRunner();
  const TaskResult r = RunToEnd(runner, Shell("cat; ls /proc/self/fd | sort -n | tr '\\n' ' '"));
  EXPECT_EQ(r.status, TaskStatus::kSuccess) << r.reason;
  EXPECT_EQ(r.kept_output, "0 1 2 3 ");  // 3: the directory ls reads
}

TEST_F(UnitTaskTest, ExitCodeAndSignalAreTheShells) {
  TaskRunner& runner = MakeRunner();
  const TaskResult exited = RunToEnd(runner, Shell("exit 3"));
  EXPECT_EQ(exited.status, TaskStatus::kFailed);
  EXPECT_EQ(exited.exit_code, 3);
  EXPECT_EQ(exited.reason, "exit code 3");
  const TaskResult killed = RunToEnd(runner, Shell("kill -USR1 $$"));
  EXPECT_EQ(killed.signal, SIGUSR1);
  EXPECT_EQ(killed.reason, "killed by signal 10");
}

TEST_F(UnitTaskTest, TimeoutStopsTheUnitAndEveryProcessInIt) {
  TaskRunner& runner = MakeRunner();
  TaskSpec spec = Shell("sleep 300 & echo $! > " + Path("bg") + "; sleep 301");
  spec.timeout = 300ms;
  const TaskResult r = RunToEnd(runner, spec);
  EXPECT_EQ(r.status, TaskStatus::kFailed);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.reason, "timed out after 300ms");
  pid_t background = 0;
  std::ifstream(Path("bg")) >> background;
  ASSERT_GT(background, 0);
  // The background sleep was in the unit's process group (its cgroup, under systemd).
  EXPECT_TRUE(Dead(background));
}

TEST_F(UnitTaskTest, CancelStopsTheUnit) {
  TaskRunner& runner = MakeRunner();
  std::string id;
  std::atomic<bool> output_seen = false;
  std::thread canceller([&] {
    while (!output_seen) std::this_thread::sleep_for(1ms);
    runner.Cancel(id);
  });
  const TaskResult r = RunToEnd(
      runner, Shell("echo started; sleep 30"), [&](OutputStream, std::string_view) { output_seen = true; }, &id);
  canceller.join();
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.reason, "cancelled");
}

TEST_F(UnitTaskTest, AWorkdirTheProcessCannotEnterIsASpawnFailure) {
  TaskRunner& runner = MakeRunner();
  TaskSpec spec = Shell("true");
  spec.workdir = "/nonexistent-sloth-dir";
  const TaskResult r = RunToEnd(runner, spec);
  EXPECT_EQ(r.status, TaskStatus::kFailed);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.reason,
            "spawn failed: systemd could not start the task's process: exit status 200/CHDIR: cannot change to the "
            "working directory");
  EXPECT_NE(telemetry_.ExpositionText().find("sloth_errors_total{type=\"task_spawn\"} 1"), std::string::npos);
}

TEST_F(UnitTaskTest, AStartTheLauncherRefusesIsASpawnFailure) {
  TaskRunner& runner = MakeRunner();
  units_.RefuseStarts("refused: user \"x\" is neither [tasks] user nor in [tasks] allowed_users");
  const TaskResult r = RunToEnd(runner, Shell("true"));
  EXPECT_EQ(r.status, TaskStatus::kFailed);
  EXPECT_EQ(r.reason, "spawn failed: refused: user \"x\" is neither [tasks] user nor in [tasks] allowed_users");
}

TEST_F(UnitTaskTest, AnOomKillSaysTheMemoryLimitWasReached) {
  TaskRunner::Options options;
  options.default_limits.memory_max = uint64_t{64} << 20;
  TaskRunner& runner = MakeRunner(options);
  units_.AdjustEnds([](UnitEnd& end) { end.result = "oom-kill"; });
  const TaskResult r = RunToEnd(runner, Shell("exit 137"));
  EXPECT_EQ(r.status, TaskStatus::kFailed);
  EXPECT_EQ(r.reason,
            "exit code 137: out of memory: the kernel's OOM killer killed a process of the task (memory_max=64M)");
}

TEST_F(UnitTaskTest, WithoutItsMainProcessReportTheHostsLimitSupportIsSaidInTheResult) {
  TaskRunner::Options options;
  options.default_limits.memory_max = uint64_t{64} << 20;
  LimitSupport host;
  host.memory = "no memory controller for task units";
  TaskRunner& runner = MakeRunner(options, host);
  // The shell kills the unit's main process (slothd-task-exec) before it can report.
  const TaskResult r = RunToEnd(runner, Shell("kill -KILL $PPID"));
  EXPECT_EQ(r.status, TaskStatus::kFailed);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_FALSE(r.usage.measured);
  EXPECT_EQ(r.limits_not_enforced, "memory_max=64M not enforced: no memory controller for task units");
  TaskSpec unlimited = Shell("kill -KILL $PPID");
  unlimited.limits.memory_max = kNoLimit;
  EXPECT_EQ(RunToEnd(runner, unlimited).limits_not_enforced, "");
}

TEST_F(UnitTaskTest, OnlyTheConfiguredUserAndAllowedUsersMayBeAskedFor) {
  TaskRunner::Options options;
  options.allowed_users = {"nobody", "no-such-user-sloth"};
  TaskRunner& runner = MakeRunner(options);
  TaskSpec as_nobody = Shell("true");
  as_nobody.user = "nobody";
  EXPECT_EQ(RunToEnd(runner, as_nobody).status, TaskStatus::kSuccess);
  ASSERT_EQ(units_.started().size(), 1u);
  EXPECT_EQ(units_.started()[0].user, "nobody");

  TaskSpec as_daemon = Shell("true");
  as_daemon.user = "daemon";
  const TaskResult refused = RunToEnd(runner, as_daemon);
  EXPECT_EQ(refused.status, TaskStatus::kFailed);
  EXPECT_EQ(refused.reason,
            "user \"daemon\" is not allowed: tasks run as \"root\" ([tasks] user) or as one of [tasks] allowed_users "
            "(nobody, no-such-user-sloth)");
  TaskSpec unknown = Shell("true");
  unknown.user = "no-such-user-sloth";
  EXPECT_EQ(RunToEnd(runner, unknown).reason,
            "cannot run a task as user \"no-such-user-sloth\": no such user on this system");
  EXPECT_EQ(units_.started().size(), 1u);  // neither refused task reached the manager
}

}  // namespace
}  // namespace sloth
