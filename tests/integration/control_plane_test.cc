// The control plane for real: slothd on a temporary Unix socket, a gRPC client, the metrics.
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sloth/v1/agent.grpc.pb.h"
#include "tests/integration/agent_rpc.h"
#include "tests/integration/harness.h"

using namespace sloth::test;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

namespace {

struct RunOutcome {
  grpc::Status status;
  std::string started_id;
  std::string events;  // one letter per event, in order: S(tarted), O(utput), R(esult)
  std::string stdout_text, stderr_text;
  uint64_t output_bytes_seen = 0;
  sloth::v1::TaskResult result;
};

// Runs a task; keeps at most `keep` bytes of output (counts the rest).
RunOutcome RunTask(sloth::v1::Agent::Stub& stub, const std::string& command, uint64_t timeout_ms = 0,
                   const std::string& name = "", size_t keep = 1 << 20) {
  sloth::v1::RunTaskRequest request;
  request.set_command(command);
  request.set_name(name);
  request.set_timeout_ms(timeout_ms);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 120s);
  auto reader = stub.RunTask(&context, request);
  RunOutcome out;
  sloth::v1::RunTaskEvent event;
  while (reader->Read(&event)) {
    out.events += event.has_started() ? 'S' : event.has_output() ? 'O' : event.has_result() ? 'R' : '?';
    if (event.has_started()) out.started_id = event.started().id();
    if (event.has_output()) {
      out.output_bytes_seen += event.output().data().size();
      auto& target =
          event.output().stream() == sloth::v1::OutputChunk::STREAM_STDOUT ? out.stdout_text : out.stderr_text;
      if (target.size() < keep) target += event.output().data().substr(0, keep - target.size());
    }
    if (event.has_result()) out.result = event.result();
  }
  out.status = reader->Finish();
  return out;
}

std::string Metrics(sloth::v1::Agent::Stub& stub) {
  grpc::ClientContext context;
  sloth::v1::Metrics reply;
  EXPECT_TRUE(stub.GetMetrics(&context, {}, &reply).ok());
  return reply.text();
}

uint64_t RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

}  // namespace

TEST(ControlPlane, RunTaskStreamsOutputAndResult) {
  Slothd agent;
  auto stub = ConnectAgent(agent.control_socket());
  auto r = RunTask(*stub, "echo test; echo oops >&2");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_FALSE(r.started_id.empty());
  EXPECT_EQ(r.stdout_text, "test\n");
  EXPECT_EQ(r.stderr_text, "oops\n");
  EXPECT_EQ(r.result.id(), r.started_id);
  EXPECT_EQ(r.result.status(), sloth::v1::TASK_STATUS_SUCCESS);
  EXPECT_EQ(r.result.exit_code(), 0);
  EXPECT_EQ(r.result.name(), "adhoc");
  EXPECT_GT(r.result.duration_seconds(), 0.0);
}

// The started event names a task its client may want to cancel: one that has output, or runs on
// (ClientThatHangsUp... below waits for it from a silent task). A task that ends at once streams
// its result alone, which carries the id.
TEST(ControlPlane, ShortTaskStreamsItsResultAloneAndATaskWithOutputIsNamedFirst) {
  Slothd agent;
  auto stub = ConnectAgent(agent.control_socket());
  // `true` ends well within the 20 ms; of a few runs, on a loaded machine, at least one does.
  int alone = 0;
  for (int i = 0; i < 5; ++i) {
    auto quick = RunTask(*stub, "true");
    ASSERT_TRUE(quick.status.ok()) << quick.status.error_message();
    EXPECT_TRUE(quick.events == "R" || quick.events == "SR") << quick.events;
    EXPECT_FALSE(quick.result.id().empty());
    alone += quick.events == "R" ? 1 : 0;
  }
  EXPECT_GE(alone, 1);
  auto talking = RunTask(*stub, "echo one; echo two >&2");
  ASSERT_TRUE(talking.status.ok()) << talking.status.error_message();
  ASSERT_GE(talking.events.size(), 3u);
  EXPECT_EQ(talking.events.front(), 'S') << talking.events;
  EXPECT_EQ(talking.events.back(), 'R') << talking.events;
  EXPECT_EQ(talking.events.find('S', 1), std::string::npos) << "one started event: " << talking.events;
  EXPECT_EQ(talking.started_id, talking.result.id());
}

TEST(ControlPlane, ARequestsUserAndLimitsAndTheResultsUsageAndLimitsNotEnforced) {
  Slothd agent;  // process mode
  auto stub = ConnectAgent(agent.control_socket());
  sloth::v1::RunTaskRequest request;
  request.set_command("ulimit -v");
  request.set_memory_max("128M");
  request.set_tasks_max("10");
  grpc::ClientContext context;
  auto reader = stub->RunTask(&context, request);
  sloth::v1::RunTaskEvent event;
  sloth::v1::TaskResult result;
  std::string output;
  while (reader->Read(&event)) {
    if (event.has_output()) output += event.output().data();
    if (event.has_result()) result = event.result();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(output, "131072\n");
  EXPECT_EQ(result.user(), "root");
  EXPECT_EQ(result.unit(), "");
  EXPECT_TRUE(result.usage().measured());
  EXPECT_GT(result.usage().memory_peak_bytes(), 0u);
  EXPECT_THAT(result.limits_not_enforced(), HasSubstr("tasks_max=10 not enforced: process mode"));

  request.set_tasks_max("several");
  grpc::ClientContext bad_context;
  auto bad = stub->RunTask(&bad_context, request);
  while (bad->Read(&event)) {
  }
  const grpc::Status refused = bad->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("tasks_max: expected a number of processes"));

  grpc::ClientContext info_context;
  sloth::v1::AgentInfo info;
  ASSERT_TRUE(stub->GetInfo(&info_context, {}, &info).ok());
  EXPECT_EQ(info.task_isolation(), "process");
  EXPECT_EQ(info.task_user(), "root");
  EXPECT_THAT(info.tasks_max_not_enforced(), HasSubstr("process mode"));
  EXPECT_EQ(info.memory_max_not_enforced(), "");
}

TEST(ControlPlane, FailedExitAndTimeoutAreReported) {
  Slothd agent;
  auto stub = ConnectAgent(agent.control_socket());
  auto failed = RunTask(*stub, "exit 3");
  EXPECT_EQ(failed.result.status(), sloth::v1::TASK_STATUS_FAILED);
  EXPECT_EQ(failed.result.exit_code(), 3);
  EXPECT_EQ(failed.result.reason(), "exit code 3");
  auto slow = RunTask(*stub, "sleep 30", /*timeout_ms=*/300);
  EXPECT_EQ(slow.result.status(), sloth::v1::TASK_STATUS_FAILED);
  EXPECT_TRUE(slow.result.timed_out());
  EXPECT_THAT(slow.result.reason(), HasSubstr("timed out"));
  EXPECT_LT(slow.result.duration_seconds(), 10.0);
}

TEST(ControlPlane, OutputFloodKeepsDaemonMemoryBounded) {
  // Under AddressSanitizer freed memory waits in a 256 MiB quarantine, which is RSS but no
  // leak: a small one keeps the bound meaningful there too.
  const char* asan = std::getenv("ASAN_OPTIONS");
  Slothd agent({}, true, {std::string("ASAN_OPTIONS=") + (asan ? asan : "") + ":quarantine_size_mb=8"});
  auto stub = ConnectAgent(agent.control_socket());
  // A first task loads the gRPC front end (its libraries are mapped on first use): measure after.
  ASSERT_TRUE(RunTask(*stub, "true").status.ok());
  const uint64_t before = RssKiB(agent.process().pid());
  // 100 MiB through the daemon to a client that keeps only a little of it.
  auto r = RunTask(*stub, "head -c 104857600 /dev/zero", 0, "flood", 4096);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.output_bytes_seen, 104857600u) << "streamed output is never cut";
  EXPECT_EQ(r.result.output_bytes(), 104857600u);
  EXPECT_TRUE(r.result.output_truncated());
  const uint64_t after = RssKiB(agent.process().pid());
  // The kept-output cap is 1 MiB; allow allocator slack, but nowhere near 100 MiB.
  EXPECT_LT(after, before + 32 * 1024) << "RSS grew from " << before << " KiB to " << after << " KiB";
  EXPECT_THAT(Metrics(*stub), HasSubstr("sloth_task_output_truncated_total 1\n"));
}

TEST(ControlPlane, FiftyConcurrentRunsAndMetricsMatchWhatRan) {
  Slothd agent;
  std::vector<std::thread> clients;
  std::atomic<int> ok{0}, failed{0};
  for (int i = 0; i < 50; ++i) {
    clients.emplace_back([&, i] {
      auto stub = ConnectAgent(agent.control_socket());
      auto r = RunTask(*stub, i % 5 == 0 ? "exit 1" : "echo " + std::to_string(i), 0, "conc");
      if (r.result.status() == sloth::v1::TASK_STATUS_SUCCESS && r.stdout_text == std::to_string(i) + "\n") ++ok;
      if (r.result.status() == sloth::v1::TASK_STATUS_FAILED && r.result.exit_code() == 1) ++failed;
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_EQ(failed.load(), 10);
  auto stub = ConnectAgent(agent.control_socket());
  const std::string text = Metrics(*stub);
  EXPECT_THAT(text, HasSubstr("sloth_tasks_total{group=\"adhoc\",status=\"success\"} 40\n"));
  EXPECT_THAT(text, HasSubstr("sloth_tasks_total{group=\"adhoc\",status=\"failed\"} 10\n"));
  EXPECT_THAT(text, HasSubstr("sloth_task_duration_seconds_count{group=\"adhoc\",task=\"conc\"} 50\n"));
  EXPECT_THAT(text, HasSubstr("\nsloth_tasks_running 0\n"));
  EXPECT_THAT(text, HasSubstr("sloth_grpc_requests_total{method=\"sloth.v1.Agent/RunTask\",status=\"OK\"} 50\n"));
  EXPECT_THAT(text, HasSubstr("sloth_grpc_request_duration_seconds_count{method=\"sloth.v1.Agent/RunTask\"} 50\n"));
  // The same numbers over HTTP: one truth.
  auto http = HttpRequest(agent.metrics_url());
  EXPECT_THAT(http.body, HasSubstr("sloth_tasks_total{group=\"adhoc\",status=\"success\"} 40\n"));
}

TEST(ControlPlane, ListAndCancelTasks) {
  Slothd agent;
  auto stub = ConnectAgent(agent.control_socket());
  std::string id;
  std::thread runner([&] {
    auto r = RunTask(*stub, "sleep 60", 0, "long");
    EXPECT_TRUE(r.result.cancelled());
    EXPECT_EQ(r.result.status(), sloth::v1::TASK_STATUS_FAILED);
  });
  // Wait until the task shows as running (a real state, polled through the API).
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (id.empty() && std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext context;
    sloth::v1::ListTasksResponse list;
    ASSERT_TRUE(stub->ListTasks(&context, {}, &list).ok());
    for (const auto& t : list.tasks()) {
      if (t.name() == "long" && t.status() == sloth::v1::TASK_STATUS_RUNNING) id = t.id();
    }
    if (id.empty()) std::this_thread::sleep_for(20ms);
  }
  ASSERT_FALSE(id.empty());
  grpc::ClientContext context;
  sloth::v1::CancelTaskRequest cancel;
  cancel.set_id(id);
  sloth::v1::CancelTaskResponse reply;
  ASSERT_TRUE(stub->CancelTask(&context, cancel, &reply).ok());
  EXPECT_TRUE(reply.cancelled()) << reply.reason();
  runner.join();
  grpc::ClientContext again_context;
  sloth::v1::CancelTaskResponse again;
  ASSERT_TRUE(stub->CancelTask(&again_context, cancel, &again).ok());
  EXPECT_FALSE(again.cancelled());
  EXPECT_THAT(again.reason(), HasSubstr("already finished"));
}

TEST(ControlPlane, InfoAndHealthOverTheSocket) {
  Slothd agent({"--name", "sock-agent"});
  auto stub = ConnectAgent(agent.control_socket());
  grpc::ClientContext c1;
  sloth::v1::AgentInfo info;
  ASSERT_TRUE(stub->GetInfo(&c1, {}, &info).ok());
  EXPECT_EQ(info.name(), "sock-agent");
  EXPECT_EQ(info.metrics_url(), agent.metrics_url());
  EXPECT_EQ(info.pid(), agent.process().pid());
  grpc::ClientContext c2;
  sloth::v1::Health health;
  ASSERT_TRUE(stub->GetHealth(&c2, {}, &health).ok());
  EXPECT_TRUE(health.healthy());
}

TEST(ControlPlane, SocketIsNotWorldWritableAndCallsAreAttributedToTheCaller) {
  Slothd agent({"--log-level", "debug"});
  struct stat st {};
  ASSERT_EQ(::stat(agent.control_socket().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  auto stub = ConnectAgent(agent.control_socket());
  RunTask(*stub, "true", 0, "audited");
  auto line = agent.process().WaitForLine("RunTask adhoc/audited");
  ASSERT_TRUE(line);
  EXPECT_THAT(*line, HasSubstr("uid " + std::to_string(::getuid()) + ", pid " + std::to_string(::getpid())));
  EXPECT_THAT(*line, HasSubstr("SLOTH_CALLER_UID=" + std::to_string(::getuid())));
}

TEST(ControlPlane, SecondDaemonRefusesToStealALiveSocket) {
  Slothd first;
  TempDir other;
  ChildProcess second(SlothdPath(), {"--config", "/dev/null", "--control-socket", first.control_socket(), "--state-dir",
                                     other.File("state"), "--metrics-port", "0", "--metrics-address", "127.0.0.1"});
  EXPECT_EQ(second.WaitExit(10s), 1);
  EXPECT_THAT(second.Output(), HasSubstr("in use by another running slothd"));
  // The first one still answers on it.
  EXPECT_TRUE(RunTask(*ConnectAgent(first.control_socket()), "true").status.ok());
}

TEST(ControlPlane, StaleSocketFileIsReplaced) {
  TempDir dir;
  const std::string path = dir.File("stale.sock");
  {
    Slothd first({"--control-socket", path});
    first.process().Signal(SIGKILL);  // leaves the socket file behind
    first.process().WaitExit(10s);
  }
  Slothd second({"--control-socket", path});
  EXPECT_TRUE(RunTask(*ConnectAgent(path), "true").status.ok());
}

TEST(ControlPlane, UnreachableSocketFailsFast) {
  TempDir dir;
  auto stub = ConnectAgent(dir.File("nobody.sock"));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 2s);
  sloth::v1::AgentInfo info;
  auto status = stub->GetInfo(&context, {}, &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

// The front end runs each stream's task on a worker while one thread serves the completion queue:
// a client that hangs up mid-task must neither stop the task nor stall the agent.
TEST(ControlPlane, ClientThatHangsUpLeavesItsTaskRunningAndTheAgentServing) {
  Slothd agent;
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.File("gate").c_str(), 0600), 0);
  auto stub = ConnectAgent(agent.control_socket());
  sloth::v1::RunTaskRequest request;
  request.set_command("read line < " + dir.File("gate") + "; echo after >" + dir.File("done"));
  request.set_name("abandoned");
  grpc::ClientContext context;
  auto reader = stub->RunTask(&context, request);
  sloth::v1::RunTaskEvent event;
  ASSERT_TRUE(reader->Read(&event));
  ASSERT_TRUE(event.has_started());
  const std::string id = event.started().id();
  context.TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // The agent answers while the abandoned task still runs; then the task finishes on its own.
  auto quick = RunTask(*stub, "echo quick");
  ASSERT_TRUE(quick.status.ok()) << quick.status.error_message();
  EXPECT_EQ(quick.stdout_text, "quick\n");
  WriteFile(dir.File("gate"), "go\n");
  sloth::v1::TaskStatus status = sloth::v1::TASK_STATUS_RUNNING;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (status == sloth::v1::TASK_STATUS_RUNNING && std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext list_context;
    sloth::v1::ListTasksResponse list;
    ASSERT_TRUE(stub->ListTasks(&list_context, {}, &list).ok());
    for (const auto& t : list.tasks()) {
      if (t.id() == id) status = t.status();
    }
    if (status == sloth::v1::TASK_STATUS_RUNNING) std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(status, sloth::v1::TASK_STATUS_SUCCESS);
  std::ifstream done(dir.File("done"));
  std::string line;
  EXPECT_TRUE(std::getline(done, line));
  EXPECT_EQ(line, "after");
  EXPECT_THAT(Metrics(*stub), HasSubstr("sloth_tasks_total{group=\"adhoc\",status=\"success\"} 2"));
}

// Quick calls are served by the completion-queue thread even while every worker is busy with a
// long task.
TEST(ControlPlane, QuickCallsAreAnsweredWhileManyTasksStream) {
  Slothd agent;
  TempDir dir;
  auto stub = ConnectAgent(agent.control_socket());
  constexpr int kTasks = 8;
  auto gate = [&](int i) { return dir.File("gate" + std::to_string(i)); };  // one per task
  std::vector<std::thread> runners;
  std::atomic<int> succeeded{0};
  for (int i = 0; i < kTasks; ++i) {
    ASSERT_EQ(::mkfifo(gate(i).c_str(), 0600), 0);
    runners.emplace_back([&, i] {
      auto r = RunTask(*stub, "read line < " + gate(i), 0, "blocked");
      if (r.status.ok() && r.result.status() == sloth::v1::TASK_STATUS_SUCCESS) ++succeeded;
    });
  }
  // All eight are running, their processes spawned (seen through ListTasks, itself a quick call:
  // a task holds its slot from admission, and has a start time once its worker spawned it) ...
  int running = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (running < kTasks && std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext context;
    sloth::v1::ListTasksResponse list;
    ASSERT_TRUE(stub->ListTasks(&context, {}, &list).ok());
    running = 0;
    for (const auto& t : list.tasks()) {
      running += t.status() == sloth::v1::TASK_STATUS_RUNNING && t.start_time_unix_ms() > 0;
    }
    if (running < kTasks) std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(running, kTasks);
  // ... and health, info and metrics still answer.
  grpc::ClientContext health_context;
  sloth::v1::Health health;
  ASSERT_TRUE(stub->GetHealth(&health_context, {}, &health).ok());
  EXPECT_TRUE(health.healthy());
  grpc::ClientContext info_context;
  sloth::v1::AgentInfo info;
  ASSERT_TRUE(stub->GetInfo(&info_context, {}, &info).ok());
  EXPECT_EQ(info.tasks_running(), static_cast<uint32_t>(kTasks));
  EXPECT_THAT(Metrics(*stub), HasSubstr("sloth_tasks_running 8"));
  for (int i = 0; i < kTasks; ++i) WriteFile(gate(i), "go\n");
  for (auto& t : runners) t.join();
  EXPECT_EQ(succeeded.load(), kTasks);
}
