// ControlService's translations between sloth.v1 messages and the core, without a server.
#include "daemon/grpc/control_service.h"

#include <gtest/gtest.h>

namespace sloth {
namespace {

class ControlServiceTest : public ::testing::Test {
 protected:
  Logger log_{std::make_unique<ConsoleLogSink>(stderr), LogLevel::kError};
  Telemetry telemetry_{CurrentBuildIdentity("test"), Telemetry::Options{}};
  TaskRunner runner_{TaskRunner::Options{}, telemetry_, log_};
  WorkflowRuns workflows_{WorkflowRuns::Options{}, runner_, telemetry_, log_};
  ControlApi api_{runner_, workflows_, telemetry_, log_,
                  ControlApi::Sources{[] { return AgentInfo{}; }, [] { return std::nullopt; }, {}}};
  ControlService service_{api_, [](std::string_view) { return std::nullopt; }};
};

TEST_F(ControlServiceTest, CheckRunTask_TranslatesTheRequest) {
  v1::RunTaskRequest request;
  request.set_command("make -C src");
  request.set_name("build");
  request.set_workdir("/srv");
  (*request.mutable_env())["CC"] = "gcc";
  request.set_timeout_ms(1500);
  TaskSpec spec;
  ASSERT_TRUE(service_.CheckRunTask(request, &spec).ok());
  EXPECT_EQ(spec.command, "make -C src");
  EXPECT_EQ(spec.name, "build");
  EXPECT_EQ(spec.group, "adhoc");
  EXPECT_EQ(spec.workdir, "/srv");
  ASSERT_EQ(spec.env.size(), 1u);
  EXPECT_EQ(spec.env[0], (std::pair<std::string, std::string>{"CC", "gcc"}));
  EXPECT_EQ(spec.timeout, Duration(std::chrono::milliseconds(1500)));
}

TEST_F(ControlServiceTest, CheckRunTask_TranslatesTheUserAndTheLimits) {
  v1::RunTaskRequest request;
  request.set_command("true");
  request.set_user("deploy");
  request.set_memory_max("512M");
  request.set_cpu_quota("max");
  TaskSpec spec;
  ASSERT_TRUE(service_.CheckRunTask(request, &spec).ok());
  EXPECT_EQ(spec.user, "deploy");
  EXPECT_EQ(spec.limits.memory_max, uint64_t{512} << 20);
  EXPECT_EQ(spec.limits.cpu_quota, kNoLimit);  // lifts the agent's default
  EXPECT_EQ(spec.limits.tasks_max, std::nullopt);
  request.set_cpu_quota("half");
  const grpc::Status refused = service_.CheckRunTask(request, &spec);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message().substr(0, 11), "cpu_quota: ");
}

TEST_F(ControlServiceTest, CheckRunTask_RefusesWithInvalidArgumentAndWhatToFix) {
  TaskSpec spec;
  v1::RunTaskRequest empty;
  const grpc::Status status = service_.CheckRunTask(empty, &spec);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "command is empty: pass the shell command to run");
  v1::RunTaskRequest bad_env;
  bad_env.set_command("true");
  (*bad_env.mutable_env())["A=B"] = "x";
  EXPECT_EQ(service_.CheckRunTask(bad_env, &spec).error_message(), R"(bad environment variable name "A=B")");
}

TEST_F(ControlServiceTest, BeginRunTask_ARefusalIsTheStreamsStatus) {
  runner_.Shutdown(Duration::zero());
  auto begun = service_.BeginRunTask(Caller{"unix"}, [] {
    TaskSpec spec;
    spec.command = "true";
    return spec;
  }());
  ASSERT_FALSE(begun);
  EXPECT_EQ(begun.error().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(begun.error().error_message(), "shutting down");
}

TEST(RefusalStatus, EachRefusalHasItsOwnCode) {
  EXPECT_EQ(RefusalStatus({RefusalKind::kQueueFull, "queue full"}).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(RefusalStatus({RefusalKind::kStopping, "x"}).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(RefusalStatus({RefusalKind::kInvalid, "x"}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(RefusalStatus({RefusalKind::kUserNotAllowed, "x"}).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(RefusalStatus({RefusalKind::kQueueFull, "queue full"}).error_message(), "queue full");
}

TEST(ToProto, TaskResultCarriesEveryFieldAndOutputOnlyWhenAsked) {
  TaskResult r;
  r.id = "t-000042-ab12";
  r.name = "build";
  r.group = "deploy";
  r.command = "make";
  r.status = TaskStatus::kFailed;
  r.exit_code = 2;
  r.timed_out = true;
  r.reason = "timed out after 5s";
  r.duration = std::chrono::milliseconds(5250);
  r.start_time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'733'000'000'000));
  r.output_truncated = true;
  r.output_bytes = 99;
  r.kept_output = "out";
  v1::TaskResult out;
  ToProto(r, false, &out);
  EXPECT_EQ(out.id(), "t-000042-ab12");
  EXPECT_EQ(out.status(), v1::TASK_STATUS_FAILED);
  EXPECT_EQ(out.exit_code(), 2);
  EXPECT_TRUE(out.timed_out());
  EXPECT_DOUBLE_EQ(out.duration_seconds(), 5.25);
  EXPECT_EQ(out.start_time_unix_ms(), 1'733'000'000'000);
  EXPECT_EQ(out.end_time_unix_ms(), 0) << "an unset time is 0";
  EXPECT_EQ(out.output_bytes(), 99u);
  EXPECT_TRUE(out.kept_output().empty());
  ToProto(r, true, &out);
  EXPECT_EQ(out.kept_output(), "out");
}

TEST(ToProto, TaskResultCarriesWhereItRanAndWhatItUsed) {
  TaskResult r;
  r.user = "nobody";
  r.unit = "sloth-task-t-000001-0001.service";
  r.usage = TaskUsage{true, 1.5, uint64_t{64} << 20, true, 0};
  r.limits_not_enforced = "cpu_quota=50% not enforced: no cpu controller";
  v1::TaskResult out;
  ToProto(r, false, &out);
  EXPECT_EQ(out.user(), "nobody");
  EXPECT_EQ(out.unit(), "sloth-task-t-000001-0001.service");
  EXPECT_TRUE(out.usage().measured());
  EXPECT_DOUBLE_EQ(out.usage().cpu_seconds(), 1.5);
  EXPECT_EQ(out.usage().memory_peak_bytes(), uint64_t{64} << 20);
  EXPECT_TRUE(out.usage().memory_peak_whole_task());
  EXPECT_EQ(out.limits_not_enforced(), "cpu_quota=50% not enforced: no cpu controller");
}

TEST(ToProto, AgentInfoCarriesTheIdentityAndEndpoints) {
  AgentInfo info;
  info.identity = CurrentBuildIdentity("my-agent");
  info.pid = 7;
  info.metrics_url = "http://127.0.0.1:9090/metrics";
  info.control_socket = "/run/slothd/slothd.sock";
  info.tasks_running = 3;
  v1::AgentInfo out;
  ToProto(info, &out);
  EXPECT_EQ(out.name(), "my-agent");
  EXPECT_EQ(out.pid(), 7);
  EXPECT_EQ(out.metrics_url(), "http://127.0.0.1:9090/metrics");
  EXPECT_EQ(out.control_socket(), "/run/slothd/slothd.sock");
  EXPECT_EQ(out.tasks_running(), 3u);
  EXPECT_FALSE(out.version().empty());
}

TEST(FromProto, RunWorkflowRequestBecomesTheWorkflowSource) {
  v1::RunWorkflowRequest request;
  request.mutable_file()->set_name("deploy.toml");
  request.mutable_file()->set_text("[groups.g.tasks.a]\ncommand = 'x'\n");
  auto* values = request.add_values();
  values->set_name("dev.toml");
  values->set_text("env = 'dev'\n");
  request.add_set("env=prod");
  request.add_groups("g");
  const WorkflowSource source = FromProto(request);
  EXPECT_EQ(source.file.name, "deploy.toml");
  ASSERT_EQ(source.values_files.size(), 1u);
  EXPECT_EQ(source.values_files[0].text, "env = 'dev'\n");
  EXPECT_EQ(source.sets, std::vector<std::string>{"env=prod"});
  EXPECT_EQ(source.groups, std::vector<std::string>{"g"});
}

TEST(ToProto, WorkflowRunCarriesItsCountsGroupsAndTasks) {
  WorkflowRunResult run;
  run.id = "w-000001-abcd";
  run.workflow = "deploy";
  run.status = TaskStatus::kSuccess;
  run.duration = std::chrono::seconds(2);
  run.counts.success = 2;
  run.groups.push_back({"app", TaskStatus::kSuccess, std::chrono::seconds(2)});
  WorkflowRunTask task;
  task.group = "app";
  task.name = "build";
  task.status = TaskStatus::kSuccess;
  task.attempts = 1;
  task.last.id = "t-000001-abcd";
  task.last.run_id = run.id;
  WorkflowRunTask never;
  never.group = "app";
  never.name = "skip";
  never.depends_on = {"app.build"};
  never.status = TaskStatus::kSkipped;
  run.tasks = {task, never};
  v1::WorkflowRun out;
  ToProto(run, &out);
  EXPECT_EQ(out.status(), v1::TASK_STATUS_SUCCESS);
  EXPECT_EQ(out.duration_seconds(), 2.0);
  EXPECT_EQ(out.tasks_succeeded(), 2u);
  ASSERT_EQ(out.groups_size(), 1);
  EXPECT_EQ(out.groups(0).index(), 0u);
  ASSERT_EQ(out.tasks_size(), 2);
  EXPECT_EQ(out.tasks(0).last().run_id(), "w-000001-abcd");
  EXPECT_EQ(out.tasks(1).index(), 1u);
  EXPECT_EQ(out.tasks(1).depends_on(0), "app.build");
  EXPECT_FALSE(out.tasks(1).has_last());  // never ran
}

TEST(ToProto, AgentInfoSaysWhereTasksRunAndWhichLimitsTheyCannotGet) {
  AgentInfo info;
  info.task_isolation = "unit";
  info.task_user = "root";
  info.task_limits.memory = "no memory controller for task units";
  v1::AgentInfo out;
  ToProto(info, &out);
  EXPECT_EQ(out.task_isolation(), "unit");
  EXPECT_EQ(out.task_user(), "root");
  EXPECT_EQ(out.memory_max_not_enforced(), "no memory controller for task units");
  EXPECT_EQ(out.cpu_quota_not_enforced(), "");
  EXPECT_EQ(out.tasks_max_not_enforced(), "");
}

}  // namespace
}  // namespace sloth
