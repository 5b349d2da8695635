// Workflows for real: slothd on a private control socket, `slothctl run` as a user types it and a
// gRPC client reading the RunWorkflow stream. The example deploy (examples/), failures and their
// skips, values and --set, --group, retries and timeouts, bad files refused with their position
// before anything runs, Ctrl-C, the agent's stop, `agent tasks`, and the metrics a run leaves.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sloth/v1/agent.grpc.pb.h"
#include "tests/exposition_sample.h"
#include "tests/integration/agent_rpc.h"
#include "tests/integration/harness.h"

namespace sloth::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CtlResult Ctl(const Slothd& agent, std::vector<std::string> args, std::vector<std::string> env = {}) {
  args.insert(args.begin(), {"--socket", agent.control_socket()});
  ChildProcess process(SLOTHCTL_PATH, args, env);
  CtlResult result;
  result.exit_code = process.WaitExit(std::chrono::seconds(60)).value_or(-1);
  result.output = process.Output();
  return result;
}

std::string Example(const std::string& name) { return std::string(SLOTH_SOURCE_DIR) + "/examples/" + name; }

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Metrics(const Slothd& agent) { return HttpRequest(agent.metrics_url()).body; }

// The JSON a `slothctl --output json run` printed last (it prints one document).
nlohmann::json Json(const CtlResult& result) {
  const size_t start = result.output.find('{');
  EXPECT_NE(start, std::string::npos) << result.output;
  return start == std::string::npos ? nlohmann::json() : nlohmann::json::parse(result.output.substr(start));
}

// The process whose pid `pidfile` holds is gone.
void ExpectGone(const std::string& pidfile) {
  const pid_t pid = std::stoi(ReadText(pidfile));
  EXPECT_EQ(::kill(pid, 0), -1) << pidfile << " names a process still running";
  EXPECT_EQ(errno, ESRCH);
}

const nlohmann::json& TaskIn(const nlohmann::json& run, const std::string& qualified) {
  for (const auto& task : run["tasks"]) {
    if (task["group"].get<std::string>() + "." + task["task"].get<std::string>() == qualified) return task;
  }
  static const nlohmann::json none;
  ADD_FAILURE() << "no task " << qualified << " in " << run.dump();
  return none;
}

class WorkflowTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, std::string text) {
    for (size_t at = text.find("$D"); at != std::string::npos; at = text.find("$D", at)) {
      text.replace(at, 2, dir_.path());
    }
    WriteFile(dir_.File(name), text);
    return dir_.File(name);
  }
  std::string D(const std::string& name) const { return dir_.File(name); }

  TempDir dir_;
  Slothd agent_{{"--name", "flow-agent"}};
};

TEST_F(WorkflowTest, TheExampleDeploysInProductionAndPrintsItsSummary) {
  const auto r = Ctl(
      agent_, {"run", "-f", Example("deploy.toml"), "--values", Example("prod.toml"), "--set", "app_dir=" + D("app")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadText(D("app/current")), "app 1.1.0 (prod)\n");
  EXPECT_EQ(ReadText(D("app/db/migrations")), "1.1.0\n");
  // Not a terminal: one line per change, then the summary.
  EXPECT_THAT(r.output, HasSubstr("app.build: success in "));
  EXPECT_THAT(r.output, HasSubstr("group release: success in "));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("release.restart +success +1 +[0-9.]+m?s +0"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("workflow deploy run w-[0-9]+-[0-9a-f]+: success in .*: 5 "
                                                 "succeeded, 0 failed, 0 skipped"));
}

TEST_F(WorkflowTest, TheExampleInDevelopmentSkipsTheMigrationByItsCondition) {
  const auto r = Ctl(agent_, {"--output", "json", "run", "-f", Example("deploy.toml"), "--values", Example("dev.toml"),
                              "--set", "app_dir=" + D("app")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto run = Json(r);
  EXPECT_EQ(run["status"], "success");
  EXPECT_EQ(TaskIn(run, "release.migrate")["status"], "skipped");
  EXPECT_EQ(TaskIn(run, "release.migrate")["reason"], "when: run_migrations is false");
  EXPECT_EQ(TaskIn(run, "release.restart")["status"], "success");
  EXPECT_FALSE(std::filesystem::exists(D("app/db/migrations")));
  EXPECT_EQ(ReadText(D("app/current")), "app 1.1.0-dev (dev)\n");
}

TEST_F(WorkflowTest, AFailureExitsOneAndItsDependantsAreSkippedWithTheReason) {
  const std::string file = Write("fail.toml", R"(
[groups.build.tasks.compile]
command = "echo 'error: it broke'; exit 2"
[groups.build.tasks.docs]
command = "true"
[groups.ship]
depends_on = ["build"]
tasks.push = { command = "touch $D/pushed" }
tasks.notify = { command = "true", depends_on = ["push"] }
)");
  const auto r = Ctl(agent_, {"run", "-f", file});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("build.compile: failed in "));
  EXPECT_THAT(r.output, HasSubstr("ship.push: skipped (dependency group build failed (build.compile failed))"));
  EXPECT_THAT(r.output, HasSubstr("ship.notify: skipped (dependency group build failed (build.compile failed))"));
  EXPECT_THAT(r.output, HasSubstr("--- output of build.compile"));
  EXPECT_THAT(r.output, HasSubstr("error: it broke"));
  EXPECT_THAT(r.output, HasSubstr(": failed (build.compile failed) in "));
  EXPECT_FALSE(std::filesystem::exists(D("pushed")));
  const auto json = Json(Ctl(agent_, {"--output", "json", "run", "-f", file}));
  EXPECT_EQ(TaskIn(json, "build.compile")["last_attempt"]["exit_code"], 2);
  EXPECT_EQ(TaskIn(json, "build.docs")["status"], "success");
  EXPECT_EQ(json["groups"][1]["status"], "skipped");
}

// A task's user and limits reach the runner as an ad-hoc request's do: a user not in [tasks]
// allowed_users is refused with the reason and what needs the task is skipped; a limit this
// agent (process mode) cannot enforce is said in the task's result.
TEST_F(WorkflowTest, ATasksUserAndLimitsAreCheckedAsAnAdHocRequestsAre) {
  const std::string file = Write("users.toml", R"(
[groups.g.tasks.as_nobody]
command = "touch $D/ran"
user = "nobody"
[groups.g.tasks.after]
command = "true"
depends_on = ["as_nobody"]
[groups.g.tasks.limited]
command = "true"
cpu_quota = "50%"
)");
  const auto json = Json(Ctl(agent_, {"--output", "json", "run", "-f", file}));
  EXPECT_EQ(TaskIn(json, "g.as_nobody")["status"], "failed");
  EXPECT_THAT(TaskIn(json, "g.as_nobody")["reason"].get<std::string>(), HasSubstr("user \"nobody\" is not allowed"));
  EXPECT_EQ(TaskIn(json, "g.after")["status"], "skipped");
  EXPECT_FALSE(std::filesystem::exists(D("ran")));
  EXPECT_EQ(TaskIn(json, "g.limited")["status"], "success");
  EXPECT_THAT(TaskIn(json, "g.limited")["last_attempt"]["limits_not_enforced"].get<std::string>(),
              HasSubstr("cpu_quota=50% not enforced"));
}

TEST_F(WorkflowTest, EveryBadFileIsRefusedWithItsPositionBeforeAnythingRuns) {
  const std::string marker = "command = 'touch $D/ran'\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[groups.g.tasks.a]\n" + marker + "[groups.g.tasks.b]\ncommand = 'make {{ srcdir }}'\n",
       "bad.toml:4:17: groups.g.tasks.b.command: unknown placeholder {{ srcdir }}"},
      {"[groups.g.tasks.a]\n" + marker + "depends_on = ['b']\n[groups.g.tasks.b]\ncommand = 'x'\ndepends_on = ['a']\n",
       "bad.toml:3:15: groups.g.tasks.a.depends_on: dependency cycle: g.a -> g.b -> g.a"},
      {"[groups.g.tasks.a]\n" + marker + "depends_on = ['nope']\n",
       "bad.toml:3:15: groups.g.tasks.a.depends_on: unknown dependency 'nope': no task 'nope' in group g"},
      {"[groups.g.tasks.a]\n" + marker + "[groups.g.tasks.a]\ncommand = 'x'\n",
       "bad.toml:3:1: TOML syntax error: Error while parsing table header: cannot redefine existing table "
       "'groups.g.tasks.a'"},
      {"[groups.g.tasks.a]\n" + marker + "memory = '1G'\n",
       "bad.toml:3:1: groups.g.tasks.a.memory: unknown key (allowed: command, depends_on"},
      {"[groups.g.tasks.a]\n" + marker + "memory_max = '1 lot'\n", "bad.toml:3:14: groups.g.tasks.a.memory_max: "},
  };
  for (const auto& [text, expected] : cases) {
    const auto r = Ctl(agent_, {"run", "-f", Write("bad.toml", text)});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr(D(expected))) << text;  // the path as typed: the temp dir's
  }
  const auto values = Ctl(agent_, {"run", "-f", Write("ok.toml", "[groups.g.tasks.a]\n" + marker), "--values",
                                   Write("dev.toml", "env = [1]\n")});
  EXPECT_EQ(values.exit_code, 2);
  EXPECT_THAT(values.output, HasSubstr(D("dev.toml") + ":1:1: env: expected a string, a number, a boolean or a table"));
  const auto set = Ctl(agent_, {"run", "-f", D("ok.toml"), "--set", "novalue"});
  EXPECT_EQ(set.exit_code, 2);
  EXPECT_THAT(set.output, HasSubstr("--set: expected NAME=VALUE"));
  EXPECT_FALSE(std::filesystem::exists(D("ran")));
  const auto tasks = nlohmann::json::parse(Ctl(agent_, {"--output", "json", "agent", "tasks", "local"}).output);
  EXPECT_TRUE(tasks["tasks"].empty());
  EXPECT_TRUE(tasks["workflow_runs"].empty());
}

// A client that skips slothctl's own check is refused by the agent the same way.
TEST_F(WorkflowTest, TheAgentRefusesABadFileWithItsPositionToo) {
  auto stub = ConnectAgent(agent_.control_socket());
  v1::RunWorkflowRequest request;
  request.mutable_file()->set_name("remote.toml");
  request.mutable_file()->set_text("[groups.g.tasks.a]\ncommand = 'echo {{ who }}'\n");
  grpc::ClientContext context;
  auto reader = stub->RunWorkflow(&context, request);
  v1::WorkflowEvent event;
  EXPECT_FALSE(reader->Read(&event));
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("remote.toml:2:17: groups.g.tasks.a.command: unknown placeholder"));
}

TEST_F(WorkflowTest, TheStreamStartsWithTheRunAndEndsWithItsResult) {
  auto stub = ConnectAgent(agent_.control_socket());
  v1::RunWorkflowRequest request;
  request.mutable_file()->set_name("chain.toml");
  request.mutable_file()->set_text(
      "[groups.g.tasks]\na.command = 'sleep 0.1'\nb = { command = 'exit 1', depends_on = ['a'] }\n"
      "c = { command = 'true', depends_on = ['b'] }\n");
  grpc::ClientContext context;
  auto reader = stub->RunWorkflow(&context, request);
  std::vector<std::string> events;
  v1::WorkflowEvent event;
  v1::WorkflowRun result;
  while (reader->Read(&event)) {
    if (event.has_started()) events.push_back("started " + std::to_string(event.started().tasks_size()));
    if (event.has_task()) events.push_back(event.task().name() + " " + std::to_string(event.task().status()));
    if (event.has_group()) events.push_back("group " + std::to_string(event.group().status()));
    if (event.has_result()) result = event.result();
  }
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front(), "started 3");
  const auto position = [&](const std::string& e) {
    return std::find(events.begin(), events.end(), e) - events.begin();
  };
  EXPECT_LT(position("a 2"), position("a 3"));  // running (it sleeps past 20 ms), then success
  EXPECT_LT(position("a 3"), position("b 4"));
  EXPECT_LT(position("b 4"), position("c 5"));
  EXPECT_EQ(result.status(), v1::TASK_STATUS_FAILED);
  EXPECT_EQ(result.tasks(2).reason(), "dependency g.b failed");
  EXPECT_EQ(result.tasks(1).last().exit_code(), 1);
  EXPECT_EQ(result.tasks(0).last().run_id(), result.id());
}

TEST_F(WorkflowTest, ValuesFilesAndSetReachTheCommandsInOrder) {
  const std::string file = Write("values.toml", R"(
[values]
greeting = "hello"
who = "file"
where = "file"
[groups.g.tasks.say]
command = "echo '{{ greeting }} {{ who }} {{ where }}' > $D/said"
workdir = "{{ dir }}"
[groups.g.tasks.env]
command = "echo $HOST_OF_DB $(pwd) > $D/env"
env = { HOST_OF_DB = "{{ db.host }}" }
workdir = "{{ dir }}"
)");
  const std::string values = Write("v.toml", "who = 'values'\nwhere = 'values'\ndir = '/tmp'\n[db]\nhost = 'db1'\n");
  const auto r = Ctl(agent_, {"run", "-f", file, "--values", values, "--set", "where=set"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ReadText(D("said")), "hello values set\n");
  EXPECT_EQ(ReadText(D("env")), "db1 /tmp\n");
}

TEST_F(WorkflowTest, GroupRunsItAndWhatItNeedsOnly) {
  const std::string file = Write("groups.toml", R"(
[groups.build.tasks.compile]
command = "touch $D/compiled"
[groups.deploy]
depends_on = ["build"]
tasks.push.command = "touch $D/pushed"
[groups.docs.tasks.render]
command = "touch $D/rendered"
)");
  const auto r = Ctl(agent_, {"run", "-f", file, "--group", "deploy"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(D("compiled")));
  EXPECT_TRUE(std::filesystem::exists(D("pushed")));
  EXPECT_FALSE(std::filesystem::exists(D("rendered")));
  const auto unknown = Ctl(agent_, {"run", "-f", file, "--group", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.output, HasSubstr("--group: no group 'nope' in " + file + " (groups: build, deploy, docs)"));
}

TEST_F(WorkflowTest, RetriesAndTimeoutsInsideAWorkflow) {
  const std::string file = Write("flaky.toml", R"(
[groups.g.tasks.flaky]
command = "echo x >> $D/tries; [ $(wc -l < $D/tries) -ge 2 ]"
retries = 3
retry_delay = "50ms"
[groups.g.tasks.slow]
command = "sleep 30"
timeout = "300ms"
[groups.g.tasks.after_slow]
command = "true"
depends_on = ["slow"]
)");
  const auto r = Ctl(agent_, {"--output", "json", "run", "-f", file});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const auto run = Json(r);
  EXPECT_EQ(TaskIn(run, "g.flaky")["status"], "success");
  EXPECT_EQ(TaskIn(run, "g.flaky")["attempts"], 2);
  EXPECT_EQ(TaskIn(run, "g.slow")["status"], "failed");
  EXPECT_EQ(TaskIn(run, "g.slow")["reason"], "timed out after 300ms");
  EXPECT_EQ(TaskIn(run, "g.slow")["last_attempt"]["timed_out"], true);
  EXPECT_EQ(TaskIn(run, "g.after_slow")["reason"], "dependency g.slow failed");
}

TEST_F(WorkflowTest, CtrlCStopsWhatRunsSkipsTheRestLeavesNoProcessAndExits130) {
  const std::string file = Write("long.toml", R"(
[groups.g.tasks]
a.command = "echo $$ > $D/a.pid; exec sleep 60"
b.command = "echo $$ > $D/b.pid; exec sleep 60"
c = { command = "touch $D/c-ran", depends_on = ["a"] }
[groups.h]
depends_on = ["g"]
tasks.d.command = "touch $D/d-ran"
)");
  ChildProcess run(SLOTHCTL_PATH, {"--socket", agent_.control_socket(), "run", "-f", file});
  ASSERT_TRUE(run.WaitForLine("g.a: running")) << run.Output();
  ASSERT_TRUE(run.WaitForLine("g.b: running")) << run.Output();
  run.Signal(SIGINT);
  EXPECT_EQ(run.WaitExit(), 130) << run.Output();
  const std::string out = run.Output();
  EXPECT_THAT(out, HasSubstr("g.c: skipped (cancelled: by uid "));
  EXPECT_THAT(out, HasSubstr("h.d: skipped (cancelled: by uid "));
  EXPECT_THAT(out, HasSubstr("interrupted: run w-"));
  EXPECT_THAT(out, ::testing::ContainsRegex("failed \\(cancelled: by uid [0-9]+ via unix\\)"));
  ExpectGone(D("a.pid"));
  ExpectGone(D("b.pid"));
  EXPECT_FALSE(std::filesystem::exists(D("c-ran")));
  EXPECT_FALSE(std::filesystem::exists(D("d-ran")));
}

TEST_F(WorkflowTest, AgentTasksListsTheRunAndItsGroupsAndCancelTakesARunId) {
  const std::string file = Write("listed.toml", R"(
[groups.g.tasks.wait]
command = "until [ -e $D/release ]; do sleep 0.02; done"
[groups.h]
depends_on = ["g"]
tasks.last.command = "true"
)");
  ChildProcess run(SLOTHCTL_PATH, {"--socket", agent_.control_socket(), "run", "-f", file});
  ASSERT_TRUE(run.WaitForLine("g.wait: running")) << run.Output();
  const auto text = Ctl(agent_, {"agent", "tasks", "local"});
  EXPECT_THAT(text.output, ::testing::ContainsRegex("w-[0-9]+-[0-9a-f]+ +listed +running +1 running, 1 queued +"
                                                    "g:running h:queued"));
  EXPECT_THAT(text.output, ::testing::ContainsRegex("wait +g +running .* w-[0-9]+"));  // the task's RUN column
  const auto json = nlohmann::json::parse(Ctl(agent_, {"--output", "json", "agent", "tasks", "local"}).output);
  ASSERT_EQ(json["workflow_runs"].size(), 1u);
  const std::string id = json["workflow_runs"][0]["id"];
  EXPECT_EQ(json["tasks"][0]["run_id"], id);
  const auto cancelled = Ctl(agent_, {"agent", "cancel", "local", id});
  EXPECT_EQ(cancelled.exit_code, 0) << cancelled.output;
  EXPECT_EQ(run.WaitExit(), 1) << run.Output();
  EXPECT_THAT(run.Output(), HasSubstr("h.last: skipped (cancelled: by uid "));
  const auto after = nlohmann::json::parse(Ctl(agent_, {"--output", "json", "agent", "tasks", "local"}).output);
  EXPECT_EQ(after["workflow_runs"][0]["status"], "failed");
  EXPECT_EQ(after["workflow_runs"][0]["cancelled"], true);
  EXPECT_EQ(after["workflow_runs"][0]["groups"][1]["status"], "skipped");
  const auto again = Ctl(agent_, {"agent", "cancel", "local", id});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.output, HasSubstr("workflow run " + id + " already finished"));
}

TEST_F(WorkflowTest, MetricsAfterARunCountEveryTaskGroupAndSkipExactly) {
  const std::string file = Write("metrics.toml", R"(
[groups.build.tasks]
compile.command = "true"
lint.command = "true"
test = { command = "exit 1", depends_on = ["compile"] }
[groups.release]
depends_on = ["build"]
tasks.push.command = "true"
tasks.tag = { command = "true", depends_on = ["push"] }
[groups.docs.tasks.render]
command = "true"
when = "false"
)");
  ASSERT_EQ(Ctl(agent_, {"run", "-f", file}).exit_code, 1);
  const std::string m = Metrics(agent_);
  EXPECT_EQ(Sample(m, "sloth_tasks_total", {"group=\"build\"", "status=\"success\""}), 2);
  EXPECT_EQ(Sample(m, "sloth_tasks_total", {"group=\"build\"", "status=\"failed\""}), 1);
  EXPECT_EQ(Sample(m, "sloth_tasks_total", {"group=\"release\"", "status=\"skipped\""}), 2);
  EXPECT_EQ(Sample(m, "sloth_tasks_total", {"group=\"docs\"", "status=\"skipped\""}), 1);
  EXPECT_EQ(Sample(m, "sloth_task_duration_seconds_count", {"group=\"build\"", "task=\"test\""}), 1);
  EXPECT_EQ(Sample(m, "sloth_task_groups_total", {"group=\"build\"", "status=\"failed\""}), 1);
  EXPECT_EQ(Sample(m, "sloth_task_groups_total", {"group=\"release\"", "status=\"skipped\""}), 1);
  EXPECT_EQ(Sample(m, "sloth_task_groups_total", {"group=\"docs\"", "status=\"skipped\""}), 1);
  EXPECT_EQ(Sample(m, "sloth_task_group_duration_seconds_count", {"group=\"build\""}), 1);
  EXPECT_EQ(Sample(m, "sloth_task_group_duration_seconds_count", {"group=\"release\""}), -1);
  EXPECT_EQ(Sample(m, "sloth_tasks_running"), 0);
}

TEST_F(WorkflowTest, TheDashboardShowsTheRunsAndTheirGroups) {
  ASSERT_EQ(Ctl(agent_,
                {"run", "-f", Example("deploy.toml"), "--values", Example("prod.toml"), "--set", "app_dir=" + D("app")})
                .exit_code,
            0);
  const auto frame = Ctl(agent_, {"--no-color", "metrics", "grafana", "local"}, {"COLUMNS=120"});
  ASSERT_EQ(frame.exit_code, 0) << frame.output;
  EXPECT_THAT(frame.output, HasSubstr("Workflow Groups"));
  EXPECT_THAT(frame.output, ::testing::ContainsRegex(" run w-[0-9]+-[0-9a-f]+  deploy  success  5 ok"));
  EXPECT_THAT(frame.output, ::testing::ContainsRegex(" app +1 +1 +0 +0 "));
  EXPECT_THAT(frame.output, ::testing::ContainsRegex(" release +1 +1 +0 +0 "));
}

TEST_F(WorkflowTest, StoppingTheAgentCancelsARunAndRecordsIt) {
  const std::string file = Write("stop.toml", R"(
[groups.g.tasks]
a.command = "echo $$ > $D/a.pid; exec sleep 60"
b = { command = "true", depends_on = ["a"] }
)");
  ChildProcess run(SLOTHCTL_PATH, {"--socket", agent_.control_socket(), "run", "-f", file});
  ASSERT_TRUE(run.WaitForLine("g.a: running")) << run.Output();
  agent_.process().Signal(SIGTERM);
  EXPECT_EQ(agent_.process().WaitExit(), 0);
  EXPECT_EQ(run.WaitExit(), 1) << run.Output();
  EXPECT_THAT(run.Output(), HasSubstr("g.b: skipped (cancelled: the agent is stopping)"));
  EXPECT_THAT(run.Output(), HasSubstr("failed (cancelled: the agent is stopping)"));
  const std::string log = agent_.process().Output();
  EXPECT_THAT(log, ::testing::ContainsRegex("workflow stop run w-[0-9]+-[0-9a-f]+ finished: failed \\(cancelled: the "
                                            "agent is stopping\\).*SLOTH_WORKFLOW=stop.*SLOTH_RUN_ID=w-"));
  ExpectGone(D("a.pid"));
}

}  // namespace
}  // namespace sloth::test
