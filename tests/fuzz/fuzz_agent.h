#pragma once
// The core a control front end serves, for the front ends' fuzzers: a real Telemetry, TaskRunner
// WorkflowRuns and ControlApi, as daemon/agent.cc builds them, with small limits and a quiet log.
// Built once per fuzzer process; thread-safe as the core is.
#include <memory>
#include <optional>
#include <string>

#include "common/log.h"
#include "daemon/core/control_api.h"
#include "daemon/core/tasks/task.h"
#include "daemon/core/tasks/task_runner.h"
#include "daemon/core/telemetry/telemetry.h"
#include "daemon/core/workflow_runs/workflow_runs.h"

namespace sloth::fuzz {

struct FuzzAgent {
  FuzzAgent()
      : log(std::make_unique<ConsoleLogSink>(stderr), LogLevel::kError),
        telemetry(CurrentBuildIdentity("fuzz"), Telemetry::Options{}),
        runner(
            [] {
              TaskRunner::Options o;
              o.max_concurrent = 4;
              o.max_queued = 8;
              o.default_timeout = std::chrono::seconds(2);
              o.kill_grace = std::chrono::milliseconds(200);
              o.history_size = 32;
              return o;
            }(),
            telemetry, log),
        workflows(WorkflowRuns::Options{}, runner, telemetry, log),
        api(runner, workflows, telemetry, log,
            ControlApi::Sources{[this] {
                                  AgentInfo info;
                                  info.identity = telemetry.identity();
                                  info.pid = 1;
                                  info.start_time = telemetry.start_time();
                                  info.task_isolation = "process";
                                  return info;
                                },
                                [] { return std::optional<std::string>(); },
                                [] { return Result<ReloadReport>(Failure{"reload is not fuzzed"}); }}) {}

  Logger log;
  Telemetry telemetry;
  TaskRunner runner;
  WorkflowRuns workflows;
  ControlApi api;
};

// What a fuzzed RunTask may run: the request as sent, except that its command is replaced by a
// harmless one and variables for the dynamic loader are dropped (the command and environment
// come from the fuzzer, and the fuzzer runs as root). Everything else (names, groups, workdir,
// environment, timeout) reaches the core as the input says.
inline bool IsLoaderVariable(const std::string& name) { return name.rfind("LD_", 0) == 0; }
inline constexpr const char* kHarmlessCommand = "exit 0";

}  // namespace sloth::fuzz
