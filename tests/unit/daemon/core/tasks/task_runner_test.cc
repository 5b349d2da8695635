// TaskRunner against real processes. Synchronisation is on real events only: FIFOs the test
// holds open (a task blocks in `read` until the test writes a line), output seen by the sink,
// and the runner's change observer. No sleeps.
#include "daemon/core/tasks/task_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "daemon/core/tasks/task_process.h"
#include "tests/exposition_sample.h"
#include "tests/unit/daemon/core/tasks/run_to_end.h"

namespace sloth {
namespace {

using namespace std::chrono_literals;
using test::Sample;

// Upper bound for waiting on an event that should come within milliseconds; failing, not pacing.
constexpr auto kEventBound = 10s;

// A FIFO the test holds open read-write: a task's `read x < fifo` opens at once and blocks until
// Release() writes a line, even if the task only starts after the release.
class Gate {
 public:
  explicit Gate(std::string path) : path_(std::move(path)) {
    EXPECT_EQ(::mkfifo(path_.c_str(), 0600), 0);
    fd_.reset(::open(path_.c_str(), O_RDWR | O_CLOEXEC));
    EXPECT_TRUE(fd_);
  }
  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }
  void Release() { EXPECT_EQ(::write(fd_.get(), "\n", 1), 1); }

 private:
  std::string path_;
  UniqueFd fd_;
};

// Lets a test wait until a condition on the runner holds, re-checked at every state change.
class ChangeWaiter {
 public:
  TaskRunner::ChangeObserver Observer() {
    return [this](const TaskResult& r) {
      std::lock_guard lock(mutex_);
      if (on_change_) on_change_(r);
      changed_.notify_all();
    };
  }
  bool WaitUntil(const std::function<bool()>& condition) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kEventBound, condition);
  }
  void set_on_change(std::function<void(const TaskResult&)> f) {
    std::lock_guard lock(mutex_);
    on_change_ = std::move(f);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::function<void(const TaskResult&)> on_change_;
};

// True once `pid` is gone for good: the runner killed what its task left and reaped what came to
// this process (a child subreaper, as slothd is) before it returned.
bool Gone(pid_t pid) { return pid > 0 && ::kill(pid, 0) == -1 && errno == ESRCH; }

pid_t ReadPid(const std::string& path) {
  std::ifstream in(path);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

size_t CountStatus(const std::vector<TaskResult>& list, TaskStatus status) {
  size_t n = 0;
  for (const TaskResult& r : list) n += r.status == status ? 1 : 0;
  return n;
}

class TaskRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sloth-tasks-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    runner_.reset();
    std::filesystem::remove_all(dir_);
  }

  TaskRunner& MakeRunner(TaskRunner::Options options = {}, size_t max_label_values = 100) {
    telemetry_ = std::make_unique<Telemetry>(CurrentBuildIdentity("test"),
                                             Telemetry::Options{.max_label_values = max_label_values});
    options.on_change = waiter_.Observer();
    runner_ = std::make_unique<TaskRunner>(std::move(options), *telemetry_, log_);
    return *runner_;
  }
  std::string Path(std::string_view name) const { return dir_ + "/" + std::string(name); }
  std::string Metrics() { return telemetry_->ExpositionText(); }
  // Makes a one-slot runner whose slot a task holds until `gate` is released, and begins
  // `touch <dir>/ran` behind it (queued). An empty handle if the slot was not taken in time.
  TaskRunner::Started BeginBehindGatedTask(const Gate& gate) {
    TaskRunner::Options options;
    options.max_concurrent = 1;
    TaskRunner& runner = MakeRunner(options);
    if (auto gated = runner.Start(Shell("read x < " + gate.path())); !gated) {
      ADD_FAILURE() << "the gated task was refused: " << gated.error().reason;
      return {};
    }
    if (!waiter_.WaitUntil([&] { return runner.running() == 1; })) {
      ADD_FAILURE() << "the gated task did not take the runner's one slot";
      return {};
    }
    return Begun(runner.Begin(Shell("touch " + Path("ran"))));
  }
  // The handle of a task Begin admitted; an empty one, and a test failure, if it was refused.
  static TaskRunner::Started Begun(Result<TaskRunner::Started, TaskRefusal> begun) {
    if (!begun) {
      ADD_FAILURE() << "refused at admission: " << begun.error().reason;
      return {};
    }
    return std::move(begun).value();
  }
  // A notice due at once: it counts its calls, records the task's status at the call, and
  // releases `gate`, so that the task can only end after it.
  TaskNotice NoticeThatReleases(Gate& gate, const std::string& id, int* notices, TaskStatus* status_at_notice) {
    return {std::chrono::steady_clock::now(), [this, &gate, id, notices, status_at_notice] {
              ++*notices;
              *status_at_notice = runner_->Get(id)->status;
              gate.Release();
            }};
  }

  std::string dir_;
  Logger log_{std::make_unique<ConsoleLogSink>(stderr)};
  ChangeWaiter waiter_;
  std::unique_ptr<Telemetry> telemetry_;
  std::unique_ptr<TaskRunner> runner_;  // last: destroyed before what it refers to
};

TEST_F(TaskRunnerTest, Run_ExitCodeZeroIsSuccess) {
  TaskRunner& runner = MakeRunner();
  const TaskResult r = RunToEnd(runner, Shell("echo hello"));
  EXPECT_EQ(r.status, TaskStatus::kSuccess);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.reason, "");
  EXPECT_EQ(r.kept_output, "hello\n");
  EXPECT_EQ(r.output_bytes, 6u);
  EXPECT_FALSE(r.output_truncated);
  EXPECT_EQ(r.name, "adhoc");
  EXPECT_EQ(r.group, "adhoc");
  EXPECT_EQ(r.command, "echo hello");
  EXPECT_TRUE(r.id.starts_with("t-")) << r.id;
  EXPECT_GT(r.duration, Duration::zero());
  EXPECT_LE(r.start_time, r.end_time);
  EXPECT_EQ(TaskStatusName(r.status), "success");
}

TEST_F(TaskRunnerTest, Run_IdsAreUniqueAndAssignedBeforeTheTaskRuns) {
  TaskRunner& runner = MakeRunner();
  std::string seen_in_sink;
  std::string id;
  const TaskResult r = RunToEnd(
      runner, Shell("echo x"), [&](OutputStream, std::string_view) { seen_in_sink = id; }, &id);
  EXPECT_EQ(seen_in_sink, r.id);
  EXPECT_NE(RunToEnd(runner, Shell("true")).id, r.id);
}

TEST_F(TaskRunnerTest, Run_NonZeroExitIsFailedWithCode) {
  TaskRunner& runner = MakeRunner();
  const TaskResult r = RunToEnd(runner, Shell("echo oops >&2; exit 3"));
  EXPECT_EQ(r.status, TaskStatus::kFailed);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.reason, "exit code 3");
  EXPECT_EQ(r.kept_output, "oops\n");
}

TEST_F(TaskRunnerTest, Run_KilledBySignalReportsSignal) {
  TaskRunner& runner = MakeRunner();
  const TaskResult r = RunToEnd(runner, Shell("kill -9 $$"));
  EXPECT_EQ(r.status, TaskStatus::kFailed);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_EQ(r.reason, "killed by signal 9");
  EXPECT_FALSE(r.timed_out);
}

TEST_F(TaskRunnerTest, Run_TimeoutKillsWholeProcessGroupIncludingSleepGrandchild) {
  TaskRunner& runner = MakeRunner();
  TaskSpec spec = Shell("sleep 100 & echo $! > " + Path("pid") + "; wait");
  spec.timeout = 300ms;
  const TaskResult r = RunToEnd(runner, spec);
  EXPECT_EQ(r.status, TaskStatus::kFailed);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.cancelled);
  EXPECT_EQ(r.reason, "timed out after 300ms");
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_GE(r.duration, 300ms);
  EXPECT_LT(r.duration, 5s);

  const pid_t grandchild = ReadPid(Path("pid"));
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(Gone(grandchild)) << "the background sleep outlived its task";
  EXPECT_EQ(Sample(Metrics(), "sloth_errors_total", {R"(type="task_timeout")"}), 1);
}

// `setsid` leaves the task's process group and session; the process is still the task's (its
// SLOTH_TASK_ID) and dies at the timeout, or when the task ends.
TEST_F(TaskRunnerTest, Run_WhatLeftTheProcessGroupDiesAtTheTimeoutAndAtTheEnd) {
  TaskRunner& runner = MakeRunner();
  const std::string escape = "setsid sh -c 'echo $$ > " + Path("pid") + "; exec sleep 100' & while [ ! -s " +
                             Path("pid") + " ]; do sleep 0.01; done; ";
  TaskSpec spec = Shell(escape + "sleep 100");
  spec.timeout = 300ms;
  EXPECT_TRUE(RunToEnd(runner, spec).timed_out);
  EXPECT_TRUE(Gone(ReadPid(Path("pid")))) << "the setsid process outlived its task's timeout";

  std::filesystem::remove(Path("pid"));
  EXPECT_EQ(RunToEnd(runner, Shell(escape + "echo done")).status, TaskStatus::kSuccess);
  EXPECT_TRUE(Gone(ReadPid(Path("pid")))) << "the setsid process outlived its task";
}

TEST_F(TaskRunnerTest, Run_TimeoutEscalatesToSigkillWhenSigtermIsIgnored) {
  TaskRunner::Options options;
  options.kill_grace = 200ms;
  TaskRunner& runner = MakeRunner(options);
  TaskSpec spec = Shell("trap '' TERM; sleep 100");  // the ignored TERM is inherited by sleep too
  spec.timeout = 100ms;
  const TaskResult r = RunToEnd(runner, spec);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_GE(r.duration, 300ms);
  EXPECT_LT(r.duration, 5s);
}

TEST_F(TaskRunnerTest, Run_BackgroundGrandchildDoesNotHoldTaskOpen) {
  TaskRunner& runner = MakeRunner();
  const TaskResult r = RunToEnd(runner, Shell("sleep 100 & echo $! > " + Path("pid") + "; echo done"));
  EXPECT_EQ(r.status, TaskStatus::kSuccess);
  EXPECT_EQ(r.kept_output, "done\n");
  EXPECT_LT(r.duration, 5s);
  EXPECT_TRUE(Gone(ReadPid(Path("pid")))) << "the background sleep outlived its task";
}

// The shell exits as what it started may still be in its exec (no task id to read yet), many
// times over: that is found by its process group, or, having left the group, looked at again once
// its exec is done (when only the id found them, about 1 in 70 `sleep 100 &` and 1 in 20 to 40
// `setsid sleep 100 &` outlived their task).
TEST_F(TaskRunnerTest, Run_WhatTheShellStartedJustBeforeExitingIsGoneEveryTime) {
  TaskRunner& runner = MakeRunner();
  for (int round = 0; round < 100; ++round) {
    for (const char* start : {"sleep 100 &", "setsid sleep 100 &"}) {
      const TaskResult r = RunToEnd(runner, Shell(std::string(start) + " echo $! > " + Path("pid")));
      ASSERT_EQ(r.status, TaskStatus::kSuccess) << start;
      ASSERT_TRUE(Gone(ReadPid(Path("pid")))) << "'" << start << "' outlived its task, round " << round;
    }
  }
}

// The runner holds the pipes' write ends until the shell has exited, so the pipes reach EOF
// only then: output still in them when the shell exits is read whole, from both streams.
TEST_F(TaskRunnerTest, Run_OutputLeftInThePipesWhenTheShellExitsIsReadWhole) {
  TaskRunner::Options options;
  options.kill_grace = 2 * kEventBound;  // the drain after the exit must end on EOF, not on this bound
  TaskRunner& runner = MakeRunner(options);
  size_t out_bytes = 0;
  size_t err_bytes = 0;
  const auto sink = [&](OutputStream stream, std::string_view chunk) {
    (stream == OutputStream::kStdout ? out_bytes : err_bytes) += chunk.size();
  };
  // 200 KB per stream is three times a pipe's buffer: the shell blocks until we read, and its last
  // writes are still unread when it exits.
  const TaskResult r = RunToEnd(runner, Shell("head -c 200000 /dev/zero; head -c 200000 /dev/zero >&2; exit 3"), sink);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(out_bytes, 200000u);
  EXPECT_EQ(err_bytes, 200000u);
  EXPECT_EQ(r.output_bytes, 400000u);
  EXPECT_LT(r.duration, kEventBound);
}

// A shell that closes its stdout and stderr early is still followed to its exit, and its status is
// its own (the pipes' EOF does not end the task).
TEST_F(TaskRunnerTest, Run_ShellThatClosesItsOutputEarlyRunsToItsExit) {
  TaskRunner::Options options;
  options.kill_grace = 2 * kEventBound;  // ends at the exit, not after this bound
  TaskRunner& runner = MakeRunner(options);
  Gate gate(Path("gate"));
  // Released once its output is seen: the shell, output closed, is then still waiting on the gate.
  const auto sink = [&](OutputStream, std::string_view chunk) {
    if (chunk.find("closing") != std::string_view::npos) gate.Release();
  };
  const TaskResult r =
      RunToEnd(runner, Shell("echo closing; exec >&- 2>&-; read x < " + gate.path() + "; exit 4"), sink);
  EXPECT_EQ(r.status, TaskStatus::kFailed);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.kept_output, "closing\n");
  EXPECT_LT(r.duration, kEventBound);
}

TEST_F(TaskRunnerTest, Run_OutputStreamsChunksAsTheyArrive) {
  TaskRunner& runner = MakeRunner();
  const std::string fifo = Path("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::vector<std::string> chunks;
  std::string seen;
  // The task cannot print "second" (nor end) until the sink, having seen "first", answers it.
  const auto sink = [&](OutputStream stream, std::string_view chunk) {
    EXPECT_EQ(stream, OutputStream::kStdout);
    chunks.emplace_back(chunk);
    seen.append(chunk);
    if (seen == "first\n") {
      UniqueFd w(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC));  // rendezvous with the task's read
      ASSERT_TRUE(w);
      ASSERT_EQ(::write(w.get(), "go\n", 3), 3);
    }
  };
  const TaskResult r = RunToEnd(runner, Shell("echo first; read x < " + fifo + "; echo second $x"), sink);
  EXPECT_EQ(r.status, TaskStatus::kSuccess);
  EXPECT_EQ(r.kept_output, "first\nsecond go\n");
  ASSERT_GE(chunks.size(), 2u);
  EXPECT_EQ(chunks.front(), "first\n");
}

TEST_F(TaskRunnerTest, Run_KeptOutputCappedAndExcessCounted) {
  TaskRunner::Options options;
  options.max_kept_output_bytes = 64 * 1024;
  TaskRunner& runner = MakeRunner(options);
  uint64_t sink_bytes = 0;
  const TaskResult r = RunToEnd(runner, Shell("head -c 10485760 /dev/zero; echo tail >&2"),
                                [&](OutputStream, std::string_view chunk) { sink_bytes += chunk.size(); });
  EXPECT_EQ(r.status, TaskStatus::kSuccess);
  EXPECT_EQ(r.kept_output.size(), 64u * 1024);
  EXPECT_TRUE(r.output_truncated);
  EXPECT_EQ(r.output_bytes, 10u * 1024 * 1024 + 5);
  EXPECT_EQ(sink_bytes, r.output_bytes);
  EXPECT_EQ(Sample(Metrics(), "sloth_task_output_truncated_total"), 1);
}

TEST_F(TaskRunnerTest, Run_StdinIsDevNull) {
  TaskRunner& runner = MakeRunner();
  const TaskResult r = RunToEnd(runner, Shell("readlink /proc/self/fd/0; cat; echo end"));
  EXPECT_EQ(r.status, TaskStatus::kSuccess);
  EXPECT_EQ(r.kept_output, "/dev/null\nend\n");
}

TEST_F(TaskRunnerTest, Run_NoInheritedDescriptors) {
  TaskRunner& runner = MakeRunner();
  UniqueFd leaky(::open("/dev/null", O_RDONLY));  // deliberately without O_CLOEXEC
  ASSERT_TRUE(leaky);
  const TaskResult r = RunToEnd(runner, Shell("ls /proc/self/fd"));
  ASSERT_EQ(r.status, TaskStatus::kSuccess);
  std::set<std::string> fds;
  std::istringstream in(r.kept_output);
  for (std::string line; std::getline(in, line);) fds.insert(line);
  // 0-2 plus the directory ls itself opened to list them.
  EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2", "3"})) << r.kept_output;
}

TEST_F(TaskRunnerTest, Run_ChildSignalMaskAndDispositionsAreReset) {
  // As the daemon does: SIGTERM/SIGINT/SIGHUP blocked, SIGPIPE ignored, in the spawning thread.
  sigset_t blocked;
  sigset_t previous;
  sigemptyset(&blocked);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&blocked, sig);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &blocked, &previous), 0);
  const auto old_pipe = ::signal(SIGPIPE, SIG_IGN);
  TaskRunner& runner = MakeRunner();
  const TaskResult r = RunToEnd(runner, Shell("grep -E '^Sig(Blk|Ign)' /proc/self/status"));
  ::signal(SIGPIPE, old_pipe);
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  const std::string prefix = "SigBlk:\t0000000000000000\nSigIgn:\t";
  ASSERT_TRUE(r.kept_output.starts_with(prefix)) << r.kept_output;
  // Every signal, glibc's internal ones (32, 33) included.
  EXPECT_EQ(std::stoull(r.kept_output.substr(prefix.size()), nullptr, 16), 0u) << r.kept_output;
}

TEST_F(TaskRunnerTest, Run_WorkdirAndEnv) {
  ASSERT_EQ(::setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1), 0);
  TaskRunner& runner = MakeRunner();
  TaskSpec spec = Shell(R"(pwd -P; echo "$SLOTH_TEST_VALUE"; echo "$HOME"; echo "${NOTIFY_SOCKET-unset}")");
  spec.workdir = dir_;
  spec.env = {{"SLOTH_TEST_VALUE", "hello world"}, {"HOME", "/nonexistent-home"}};
  const TaskResult r = RunToEnd(runner, spec);
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(r.status, TaskStatus::kSuccess);
  const std::string real_dir = std::filesystem::canonical(dir_).string();
  EXPECT_EQ(r.kept_output, real_dir + "\nhello world\n/nonexistent-home\nunset\n");

  const TaskResult default_dir = RunToEnd(runner, Shell("pwd"));
  EXPECT_EQ(default_dir.kept_output, "/\n");
}

TEST_F(TaskRunnerTest, Run_InvalidEnvNameIsRefused) {
  TaskRunner& runner = MakeRunner();
  TaskSpec spec = Shell("true");
  spec.env = {{"A=B", "x"}};
  const auto r = runner.Begin(spec);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, RefusalKind::kInvalid);
  EXPECT_EQ(r.error().reason, R"(invalid task: bad environment variable name "A=B")");
  EXPECT_EQ(Sample(Metrics(), "sloth_tasks_running"), 0);
  EXPECT_EQ(Sample(Metrics(), "sloth_errors_total", {R"(type="task_refused")"}), 1);
}

TEST_F(TaskRunnerTest, Run_SpawnFailureIsFailedAndCounted) {
  TaskRunner& runner = MakeRunner();
  TaskSpec spec = Shell("true");
  spec.workdir = Path("does-not-exist");
  const TaskResult r = RunToEnd(runner, spec);
  EXPECT_EQ(r.status, TaskStatus::kFailed);
  EXPECT_EQ(r.reason, "spawn failed: No such file or directory");
  EXPECT_EQ(r.exit_code, -1);
  const std::string m = Metrics();
  EXPECT_EQ(Sample(m, "sloth_errors_total", {R"(type="task_spawn")"}), 1);
  EXPECT_EQ(Sample(m, "sloth_tasks_total", {R"(group="adhoc")", R"(status="failed")"}), 1);
  EXPECT_EQ(Sample(m, "sloth_tasks_running"), 0);
}

TEST_F(TaskRunnerTest, Run_ConcurrencyLimitQueuesBeyondMax) {
  TaskRunner::Options options;
  options.max_concurrent = 2;
  TaskRunner& runner = MakeRunner(options);
  size_t max_running_seen = 0;
  waiter_.set_on_change([&](const TaskResult&) { max_running_seen = std::max(max_running_seen, runner.running()); });
  std::vector<std::unique_ptr<Gate>> gates;
  std::vector<TaskResult> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) gates.push_back(std::make_unique<Gate>(Path("gate" + std::to_string(i))));
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      results[i] = RunToEnd(runner, Shell("read x < " + gates[i]->path() + "; echo " + std::to_string(i)));
    });
  }
  const bool reached = waiter_.WaitUntil([&] {
    const auto list = runner.List();
    return CountStatus(list, TaskStatus::kRunning) == 2 && CountStatus(list, TaskStatus::kQueued) == 2;
  });
  EXPECT_TRUE(reached);
  EXPECT_EQ(runner.running(), 2u);
  for (auto& gate : gates) gate->Release();
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(results[i].status, TaskStatus::kSuccess) << results[i].reason;
    EXPECT_EQ(results[i].kept_output, std::to_string(i) + "\n");
  }
  EXPECT_EQ(max_running_seen, 2u);
  EXPECT_EQ(runner.running(), 0u);
}

TEST_F(TaskRunnerTest, Run_QueueFullIsRefusedWithClearReason) {
  TaskRunner::Options options;
  options.max_concurrent = 1;
  options.max_queued = 1;
  TaskRunner& runner = MakeRunner(options);
  Gate gate(Path("gate"));
  std::thread running([&] { RunToEnd(runner, Shell("read x < " + gate.path())); });
  ASSERT_TRUE(waiter_.WaitUntil([&] { return runner.running() == 1; }));
  std::thread queued([&] { RunToEnd(runner, Shell("true")); });
  ASSERT_TRUE(waiter_.WaitUntil([&] { return CountStatus(runner.List(), TaskStatus::kQueued) == 1; }));

  const std::string full = "queue full: 1 tasks running (max_concurrent), 1 waiting (max_queued); try again later";
  const auto begun = runner.Begin(Shell("true"));
  ASSERT_FALSE(begun);
  EXPECT_EQ(begun.error().kind, RefusalKind::kQueueFull);
  EXPECT_EQ(begun.error().reason, full);
  const auto started = runner.Start(Shell("true"));
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().kind, RefusalKind::kQueueFull);
  EXPECT_EQ(started.error().reason, full);
  // A refusal is no task: not listed, not counted as one; counted as an error.
  EXPECT_EQ(runner.List().size(), 2u);
  EXPECT_EQ(Sample(Metrics(), "sloth_tasks_total", {R"(status="failed")"}), 0);
  EXPECT_EQ(Sample(Metrics(), "sloth_errors_total", {R"(type="task_refused")"}), 2);

  gate.Release();
  running.join();
  queued.join();
  const std::string m = Metrics();
  EXPECT_EQ(Sample(m, "sloth_tasks_total", {R"(status="success")"}), 2);
  EXPECT_EQ(Sample(m, "sloth_tasks_total", {R"(status="failed")"}), 0);
  EXPECT_EQ(Sample(m, "sloth_tasks_running"), 0);
}

TEST_F(TaskRunnerTest, Begin_UserNotAllowedIsRefusedNotRun) {
  TaskRunner& runner = MakeRunner();
  TaskSpec spec = Shell("touch " + Path("ran"));
  spec.user = "somebody-else";
  const auto begun = runner.Begin(spec);
  ASSERT_FALSE(begun);
  EXPECT_EQ(begun.error().kind, RefusalKind::kUserNotAllowed);
  EXPECT_NE(begun.error().reason.find("user \"somebody-else\" is not allowed"), std::string::npos)
      << begun.error().reason;
  EXPECT_TRUE(runner.List().empty());
  EXPECT_FALSE(std::filesystem::exists(Path("ran")));
}

TEST_F(TaskRunnerTest, Cancel_RunningTaskKillsGroup) {
  TaskRunner::Options options;
  options.kill_grace = 2s;
  TaskRunner& runner = MakeRunner(options);
  std::string id;
  bool cancel_accepted = false;
  // Cancelled from the sink once the task has started its background sleep.
  const auto sink = [&](OutputStream, std::string_view chunk) {
    if (chunk.find("ready") != std::string_view::npos) cancel_accepted = runner.Cancel(id);
  };
  const TaskResult r =
      RunToEnd(runner, Shell("sleep 100 & echo $! > " + Path("pid") + "; echo ready; wait"), sink, &id);
  EXPECT_TRUE(cancel_accepted);
  EXPECT_EQ(r.status, TaskStatus::kFailed);
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.reason, "cancelled");
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_LT(r.duration, 2s);
  EXPECT_TRUE(Gone(ReadPid(Path("pid")))) << "the background sleep outlived its task";
  EXPECT_FALSE(runner.Cancel(id)) << "a finished task cannot be cancelled";
  EXPECT_FALSE(runner.Cancel("t-999999-0000"));
}

TEST_F(TaskRunnerTest, Cancel_DoesNotReachTheNextTaskOnTheSameThread) {
  // The thread's cancel eventfd is reused: a cancel (here two) must not outlive its task.
  TaskRunner& runner = MakeRunner();
  std::string id;
  const auto sink = [&](OutputStream, std::string_view chunk) {
    if (chunk.find("ready") != std::string_view::npos) {
      runner.Cancel(id);
      runner.Cancel(id);
    }
  };
  const TaskResult cancelled = RunToEnd(runner, Shell("echo ready; sleep 100"), sink, &id);
  EXPECT_TRUE(cancelled.cancelled);
  const TaskResult next = RunToEnd(runner, Shell("echo next"));
  EXPECT_EQ(next.status, TaskStatus::kSuccess) << next.reason;
  EXPECT_FALSE(next.cancelled);
  EXPECT_EQ(next.kept_output, "next\n");
}

TEST_F(TaskRunnerTest, Begin_QueuedTaskCanBeCancelledByItsIdBeforeItRuns) {
  Gate gate(Path("gate"));
  TaskRunner::Started started = BeginBehindGatedTask(gate);
  ASSERT_TRUE(started);
  TaskRunner& runner = *runner_;
  EXPECT_EQ(runner.Get(started.id())->status, TaskStatus::kQueued);
  EXPECT_TRUE(runner.Cancel(started.id()));
  const TaskResult r = runner.Complete(std::move(started), {});
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(std::filesystem::exists(Path("ran")));
  gate.Release();
}

TEST_F(TaskRunnerTest, Cancel_QueuedTask) {
  TaskRunner::Options options;
  options.max_concurrent = 1;
  TaskRunner& runner = MakeRunner(options);
  Gate gate(Path("gate"));
  TaskResult first;
  TaskResult second;
  std::string second_id;
  std::thread t1([&] { first = RunToEnd(runner, Shell("read x < " + gate.path())); });
  ASSERT_TRUE(waiter_.WaitUntil([&] { return runner.running() == 1; }));
  std::thread t2([&] { second = RunToEnd(runner, Shell("touch " + Path("ran")), {}, &second_id); });
  ASSERT_TRUE(waiter_.WaitUntil([&] { return CountStatus(runner.List(), TaskStatus::kQueued) == 1; }));

  const std::string queued_id = runner.List().back().id;
  EXPECT_TRUE(runner.Cancel(queued_id));
  t2.join();
  EXPECT_EQ(second.id, queued_id);
  EXPECT_EQ(second.status, TaskStatus::kFailed);
  EXPECT_TRUE(second.cancelled);
  EXPECT_EQ(second.reason, "cancelled");
  EXPECT_FALSE(std::filesystem::exists(Path("ran")));

  gate.Release();
  t1.join();
  EXPECT_EQ(first.status, TaskStatus::kSuccess);
  const std::string m = Metrics();
  EXPECT_EQ(Sample(m, "sloth_tasks_total", {R"(status="failed")"}), 1);
  EXPECT_EQ(Sample(m, "sloth_tasks_running"), 0);
}

TEST_F(TaskRunnerTest, Start_RunsOnAWorkerAndIsVisibleThroughGet) {
  TaskRunner& runner = MakeRunner();
  const auto started = runner.Start(Shell("echo async"));
  ASSERT_TRUE(started);
  const std::string id = *started;
  ASSERT_TRUE(waiter_.WaitUntil([&] {
    const auto r = runner.Get(id);
    return r && r->status == TaskStatus::kSuccess;
  }));
  EXPECT_EQ(runner.Get(id)->kept_output, "async\n");
  EXPECT_FALSE(runner.Get("t-999999-0000").has_value());
}

TEST_F(TaskRunnerTest, List_RunningFirstThenHistoryNewestFirstBounded) {
  TaskRunner::Options options;
  options.history_size = 2;
  TaskRunner& runner = MakeRunner(options);
  const std::string a = RunToEnd(runner, Shell("true")).id;
  const std::string b = RunToEnd(runner, Shell("true")).id;
  const std::string c = RunToEnd(runner, Shell("true")).id;
  Gate gate(Path("gate"));
  const std::string running = runner.Start(Shell("read x < " + gate.path())).value();
  ASSERT_TRUE(waiter_.WaitUntil([&] { return runner.running() == 1; }));
  const auto list = runner.List();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].id, running);
  EXPECT_EQ(list[0].status, TaskStatus::kRunning);
  EXPECT_EQ(list[1].id, c);
  EXPECT_EQ(list[2].id, b);
  EXPECT_FALSE(runner.Get(a).has_value());
  gate.Release();
}

TEST_F(TaskRunnerTest, Shutdown_CancelsRunningAndRefusesNew) {
  TaskRunner& runner = MakeRunner();
  Gate gate(Path("gate"));
  const std::string id = runner.Start(Shell("read x < " + gate.path())).value();
  ASSERT_TRUE(waiter_.WaitUntil([&] { return runner.running() == 1; }));
  EXPECT_TRUE(runner.Shutdown(0s));
  const auto cancelled = runner.Get(id);
  ASSERT_TRUE(cancelled.has_value());
  EXPECT_TRUE(cancelled->cancelled);
  EXPECT_EQ(cancelled->reason, "cancelled: shutting down");
  const auto refused = runner.Begin(Shell("true"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, RefusalKind::kStopping);
  EXPECT_EQ(refused.error().reason, "shutting down");
  EXPECT_EQ(Sample(Metrics(), "sloth_tasks_running"), 0);
}

TEST_F(TaskRunnerTest, Telemetry_CountsMatchWhatRan) {
  TaskRunner& runner = MakeRunner();
  RunToEnd(runner, Shell("true"));
  RunToEnd(runner, Shell("true"));
  RunToEnd(runner, Shell("false"));
  TaskSpec grouped = Shell("true");
  grouped.group = "deploy";
  grouped.name = "migrate";
  RunToEnd(runner, grouped);
  const std::string m = Metrics();
  EXPECT_EQ(Sample(m, "sloth_tasks_total", {R"(group="adhoc")", R"(status="success")"}), 2);
  EXPECT_EQ(Sample(m, "sloth_tasks_total", {R"(group="adhoc")", R"(status="failed")"}), 1);
  EXPECT_EQ(Sample(m, "sloth_tasks_total", {R"(group="deploy")", R"(status="success")"}), 1);
  EXPECT_EQ(Sample(m, "sloth_tasks_running"), 0);
  EXPECT_EQ(Sample(m, "sloth_task_duration_seconds_count", {R"(group="adhoc")", R"(task="adhoc")"}), 3);
  EXPECT_EQ(Sample(m, "sloth_task_duration_seconds_count", {R"(group="deploy")", R"(task="migrate")"}), 1);
}

TEST_F(TaskRunnerTest, Telemetry_LabelCardinalityCappedToOther) {
  TaskRunner& runner = MakeRunner({}, /*max_label_values=*/3);
  for (int i = 1; i <= 5; ++i) {
    TaskSpec spec = Shell("true");
    spec.name = "n" + std::to_string(i);
    RunToEnd(runner, spec);
  }
  const std::string m = Metrics();
  for (const char* name : {"n1", "n2", "n3"}) {
    EXPECT_EQ(Sample(m, "sloth_task_duration_seconds_count", {std::string("task=\"") + name + "\""}), 1) << name;
  }
  EXPECT_EQ(Sample(m, "sloth_task_duration_seconds_count", {R"(task="_other")"}), 2);
  EXPECT_EQ(Sample(m, "sloth_task_duration_seconds_count", {R"(task="n4")"}), -1);
}

TEST(TaskEnvironmentTest, OverridesReplaceAndDaemonPlumbingIsDropped) {
  const char* base[] = {"PATH=/bin", "HOME=/root", "NOTIFY_SOCKET=/run/x", "LISTEN_FDS=2", "EMPTY=", nullptr};
  const TaskEnvironment env =
      BuildTaskEnvironment(const_cast<char* const*>(base), {{"HOME", "/tmp"}, {"NEW", "1"}, {"NEW", "2"}});
  ASSERT_FALSE(env.envp.empty());
  EXPECT_EQ(env.envp.back(), nullptr);
  const std::vector<std::string> entries(env.envp.begin(), env.envp.end() - 1);
  EXPECT_EQ(entries, (std::vector<std::string>{"PATH=/bin", "EMPTY=", "HOME=/tmp", "NEW=2"}));
}

TEST_F(TaskRunnerTest, Begin_TakesASlotWithoutSpawningAndCompleteRunsTheTask) {
  TaskRunner& runner = MakeRunner();
  TaskRunner::Started started = Begun(runner.Begin(Shell("touch " + Path("ran") + "; echo done")));
  ASSERT_TRUE(started);
  const std::string id = started.id();
  // Holds its slot, has no start time yet, and has not run: Complete's thread spawns it.
  const std::optional<TaskResult> admitted = runner.Get(id);
  ASSERT_TRUE(admitted);
  EXPECT_EQ(admitted->status, TaskStatus::kRunning);
  EXPECT_EQ(admitted->duration, Duration::zero());
  EXPECT_EQ(runner.running(), 1u);
  EXPECT_FALSE(std::filesystem::exists(Path("ran")));
  std::string output;
  const TaskResult r =
      runner.Complete(std::move(started), [&](OutputStream, std::string_view chunk) { output.append(chunk); });
  EXPECT_EQ(r.id, id);
  EXPECT_EQ(r.status, TaskStatus::kSuccess);
  EXPECT_EQ(output, "done\n");
  EXPECT_TRUE(std::filesystem::exists(Path("ran")));
  EXPECT_EQ(runner.running(), 0u);
}

TEST_F(TaskRunnerTest, Begin_QueuesWithoutWaitingAndCompleteWaitsForTheSlot) {
  Gate gate(Path("gate"));
  TaskRunner::Started started = BeginBehindGatedTask(gate);
  ASSERT_TRUE(started);
  TaskRunner& runner = *runner_;
  EXPECT_EQ(runner.Get(started.id())->status, TaskStatus::kQueued);
  EXPECT_FALSE(std::filesystem::exists(Path("ran")));
  gate.Release();
  const TaskResult r = runner.Complete(std::move(started), {});
  EXPECT_EQ(r.status, TaskStatus::kSuccess);
  EXPECT_TRUE(std::filesystem::exists(Path("ran")));
}

TEST_F(TaskRunnerTest, Begin_AHandleDroppedWithoutCompleteCancelsAndKillsItsProcess) {
  TaskRunner& runner = MakeRunner();
  std::string id;
  {
    TaskRunner::Started started = Begun(runner.Begin(Shell("sleep 30")));
    ASSERT_TRUE(started);
    id = started.id();
  }
  const std::optional<TaskResult> r = runner.Get(id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, TaskStatus::kFailed);
  EXPECT_TRUE(r->cancelled);
  EXPECT_EQ(r->reason, "cancelled: the caller failed");
  EXPECT_LT(r->duration, std::chrono::seconds(10));
  EXPECT_EQ(runner.running(), 0u);
}

TEST_F(TaskRunnerTest, Begin_RefusedWhileShuttingDownSaysWhyAndRecordsNoTask) {
  TaskRunner& runner = MakeRunner();
  runner.Shutdown(Duration::zero());
  const auto begun = runner.Begin(Shell("true"));
  ASSERT_FALSE(begun);
  EXPECT_EQ(begun.error().kind, RefusalKind::kStopping);
  EXPECT_EQ(begun.error().reason, "shutting down");
  EXPECT_TRUE(runner.List().empty());
  EXPECT_EQ(Sample(Metrics(), "sloth_tasks_total", {R"(status="failed")"}), 0);
  EXPECT_EQ(Sample(Metrics(), "sloth_errors_total", {R"(type="task_refused")"}), 1);
}

// The notice tells a front end that a task is worth announcing (ControlService's started event).
// Each task below ends only once its notice came, so the notices are due on real events.
TEST_F(TaskRunnerTest, Complete_NoticeComesOnceWhileTheTaskRuns) {
  TaskRunner& runner = MakeRunner();
  Gate gate(Path("gate"));
  TaskRunner::Started started = Begun(runner.Begin(Shell("read x < " + gate.path() + "; echo after")));
  ASSERT_TRUE(started);
  const std::string id = started.id();
  int notices = 0;
  TaskStatus status_at_notice = TaskStatus::kQueued;
  std::string output;
  const TaskResult r = runner.Complete(
      std::move(started), [&](OutputStream, std::string_view chunk) { output.append(chunk); },
      NoticeThatReleases(gate, id, &notices, &status_at_notice));
  EXPECT_EQ(r.status, TaskStatus::kSuccess);
  EXPECT_EQ(output, "after\n");
  EXPECT_EQ(notices, 1);
  EXPECT_EQ(status_at_notice, TaskStatus::kRunning);
}

TEST_F(TaskRunnerTest, Complete_NoticeComesWhileQueuedAndNotAgainOnceRunning) {
  Gate gate(Path("gate"));
  TaskRunner::Started started = BeginBehindGatedTask(gate);
  ASSERT_TRUE(started);
  const std::string id = started.id();
  int notices = 0;
  TaskStatus status_at_notice = TaskStatus::kRunning;
  // The notice's release frees the one slot: this task runs next.
  const TaskResult r =
      runner_->Complete(std::move(started), {}, NoticeThatReleases(gate, id, &notices, &status_at_notice));
  EXPECT_EQ(r.status, TaskStatus::kSuccess);
  EXPECT_TRUE(std::filesystem::exists(Path("ran")));
  EXPECT_EQ(notices, 1);
  EXPECT_EQ(status_at_notice, TaskStatus::kQueued);
}

TEST_F(TaskRunnerTest, Complete_NoNoticeForATaskThatEndsBeforeItsTime) {
  TaskRunner& runner = MakeRunner();
  TaskRunner::Started started = Begun(runner.Begin(Shell("true")));
  ASSERT_TRUE(started);
  int notices = 0;
  const TaskResult r = runner.Complete(std::move(started), {},
                                       {std::chrono::steady_clock::now() + std::chrono::hours(1), [&] { ++notices; }});
  EXPECT_EQ(r.status, TaskStatus::kSuccess);
  EXPECT_EQ(notices, 0);
}

}  // namespace
}  // namespace sloth
