#include "ctl/commands/agent.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "ctl/cancel_on_interrupt.h"
#include "ctl/errors.h"
#include "ctl/fleet_output.h"
#include "ctl/interrupt_watcher.h"
#include "ctl/output.h"
#include "ctl/resolve.h"
#include "ctl/task_exit.h"
#include "ctl/workflows/run_list.h"

namespace sloth::ctl {
namespace {

// Unbuffered, so output reaches a pipe or terminal as soon as the agent sends it. False when
// the reader has gone (EPIPE: SIGPIPE is ignored while streaming).
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Ignores SIGPIPE for its lifetime, so a closed pipe (`slothctl agent run ... | head`) cancels
// the task instead of killing slothctl and leaving the task running.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &previous_);
  }
  ~IgnoreSigpipe() { sigaction(SIGPIPE, &previous_, nullptr); }

 private:
  struct sigaction previous_ {};
};

// A task the agent refused never ran: slothctl exits with a code of its own (errors.h: sysexits
// codes, which tasks rarely use), not one the task could have had. Other failures as any call's.
[[noreturn]] void ThrowRunTaskError(const AgentConnection& client, const std::string& agent, const CallError& error) {
  int code = 0;
  switch (error.code) {
    case CallCode::kResourceExhausted: code = kExitRefusedQueueFull; break;
    case CallCode::kPermissionDenied: code = kExitRefusedNotAllowed; break;
    case CallCode::kInvalidArgument: code = kExitRefusedInvalid; break;
    default: ThrowCallError(client, agent, "RunTask", error);
  }
  throw CtlError(code, fmt::format("agent '{}' refused the task, which did not run: {}", agent, error.message));
}

void Print(const Context& context, const std::string& text, const nlohmann::json& json) {
  std::cout << (context.output == OutputFormat::kJson ? DumpJson(json) : text) << std::flush;
}

}  // namespace

v1::RunTaskRequest BuildRunTaskRequest(const AgentRunArgs& args) {
  v1::RunTaskRequest request;
  std::string command;
  for (const auto& word : args.command) {
    if (!command.empty()) command += ' ';
    command += word;
  }
  if (command.find_first_not_of(" \t\n") == std::string::npos) {
    throw UsageError("agent run: the command is empty (usage: slothctl agent run AGENT \"COMMAND\")");
  }
  request.set_command(command);
  request.set_name(args.name);
  request.set_group(args.group);
  request.set_workdir(args.workdir);
  // The agent reads the limits (it knows what "max" lifts); it refuses a bad one naming it.
  request.set_user(args.user);
  request.set_memory_max(args.memory_max);
  request.set_cpu_quota(args.cpu_quota);
  request.set_tasks_max(args.tasks_max);
  if (!args.timeout.empty()) {
    const Duration timeout = ParseDurationFlag("agent run --timeout", args.timeout);
    // Rounded up so "500us" does not become 0 (the agent's default).
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout);
    request.set_timeout_ms(static_cast<uint64_t>(ms.count()));
  }
  for (const auto& pair : args.env) {
    const auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw UsageError("--env: expected KEY=VALUE, got '" + pair + "'");
    }
    (*request.mutable_env())[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  return request;
}

// The commands' handlers: each returns the process exit code, or throws CtlError.
namespace {

int AgentInfoCommand(const Context& context, const std::string& agent) {
  OpenedAgent opened = OpenAgent(context, agent, false);
  Print(context, RenderInfoText(opened.info), InfoJson(opened.info));
  return kExitOk;
}

int AgentHealthCommand(const Context& context, const std::string& agent) {
  OpenedAgent opened = OpenAgent(context, agent, false);
  const v1::Health health = CheckedCall(opened.client->GetHealth(), *opened.client, agent, "GetHealth");
  Print(context, RenderHealthText(health), HealthJson(health));
  return health.healthy() ? kExitOk : kExitFailure;
}

int AgentTasksCommand(const Context& context, const std::string& agent) {
  OpenedAgent opened = OpenAgent(context, agent, false);
  const v1::ListTasksResponse tasks = CheckedCall(opened.client->ListTasks(false), *opened.client, agent, "ListTasks");
  nlohmann::json json = TasksJson(tasks);
  json["workflow_runs"] = WorkflowRunsJson(tasks);
  Print(context, RenderTasksText(tasks) + RenderWorkflowRunsText(tasks), json);
  return kExitOk;
}

// A refused file is a CtlError (exit 1) with its position; the running configuration stays.
int AgentReloadCommand(const Context& context, const std::string& agent) {
  OpenedAgent opened = OpenAgent(context, agent, false);
  const v1::ReloadResponse reloaded = CheckedCall(opened.client->Reload(), *opened.client, agent, "Reload");
  std::string text = fmt::format("reloaded agent '{}' from {}\n", opened.info.name(), reloaded.loaded_from());
  for (const auto& note : reloaded.notes()) text += fmt::format("note: {}\n", note);
  Print(context, text,
        {{"agent", opened.info.name()},
         {"loaded_from", reloaded.loaded_from()},
         {"notes", std::vector<std::string>(reloaded.notes().begin(), reloaded.notes().end())}});
  return kExitOk;
}

int AgentCancelCommand(const Context& context, const std::string& agent, const std::string& id) {
  OpenedAgent opened = OpenAgent(context, agent, false);
  const v1::CancelTaskResponse response =
      CheckedCall(opened.client->CancelTask(id), *opened.client, agent, "CancelTask");
  if (context.output == OutputFormat::kJson) {
    Print(context, "", {{"id", id}, {"cancelled", response.cancelled()}, {"reason", response.reason()}});
  } else if (response.cancelled()) {
    std::cout << "cancelled " << id << "\n";
  }
  if (!response.cancelled()) {
    throw CtlError(kExitFailure, fmt::format("task {} was not cancelled: {}", id,
                                             response.reason().empty() ? "no reason given" : response.reason()));
  }
  return kExitOk;
}

// The master's registry: every agent it knows, up, down or gone.
int AgentListCommand(const Context& context) {
  MasterClient master = OpenMaster(context, "agent list");
  auto agents = master.ListAgents();
  if (!agents) {
    const bool unreachable =
        agents.error().code == CallCode::kUnavailable || agents.error().code == CallCode::kDeadline;
    throw CtlError(unreachable ? kExitUnavailable : kExitFailure,
                   fmt::format("{}: ListAgents failed: {}", master.target(), agents.error().message));
  }
  const int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  Print(context, RenderAgentsText(*agents, now), AgentsJson(*agents));
  return kExitOk;
}

// Forgets an agent; one still connected registers again when it redials.
int AgentRemoveCommand(const Context& context, const std::string& agent) {
  MasterClient master = OpenMaster(context, "agent remove");
  auto removed = master.RemoveAgent(agent);
  if (!removed) {
    const CallCode code = removed.error().code;
    throw CtlError(code == CallCode::kUnavailable || code == CallCode::kDeadline || code == CallCode::kNotFound
                       ? kExitUnavailable
                       : kExitFailure,
                   fmt::format("{}: RemoveAgent {} failed: {}", master.target(), agent, removed.error().message));
  }
  Print(context,
        fmt::format("removed agent '{}' from the master's registry{}\n", agent,
                    removed->was_connected() ? " (it was connected: it registers again when it redials)" : ""),
        {{"agent", agent}, {"removed", true}, {"was_connected", removed->was_connected()}});
  return kExitOk;
}

// Streams the output to stdout/stderr as it arrives (text) or prints the result (json); exits
// with the task's code (see task_exit.h); Ctrl-C cancels the task and exits 130.
int AgentRunCommand(const Context& context, const AgentRunArgs& args) {
  const v1::RunTaskRequest request = BuildRunTaskRequest(args);
  const Duration requested_timeout = std::chrono::milliseconds(request.timeout_ms());

  RunHandle run;
  CancelOnInterrupt interrupt(run);
  // Created before any gRPC thread so that they inherit the blocked SIGINT/SIGTERM.
  OpenedAgent opened;
  InterruptWatcher watcher([&](int signal) { interrupt.OnSignal(signal); });
  // Through the master no GetInfo first: RunTask's own answer says whether the agent is there.
  opened = OpenAgent(context, args.agent, false, /*need_info=*/false);
  interrupt.Connected(opened.client.get(), "the task");

  const bool json = context.output == OutputFormat::kJson;
  IgnoreSigpipe ignore_sigpipe;
  bool output_closed = false;
  std::optional<v1::TaskResult> result;
  std::string out_text, err_text;
  const auto streamed = opened.client->RunTask(request, run, [&](const v1::RunTaskEvent& event) {
    switch (event.event_case()) {
      case v1::RunTaskEvent::kStarted: interrupt.IdKnown(event.started().id()); break;
      case v1::RunTaskEvent::kOutput: {
        const bool to_stderr = event.output().stream() == v1::OutputChunk::STREAM_STDERR;
        if (json) {
          (to_stderr ? err_text : out_text) += event.output().data();
        } else if (!output_closed && !WriteAll(to_stderr ? STDERR_FILENO : STDOUT_FILENO, event.output().data())) {
          output_closed = true;
          if (const std::string id = interrupt.id(); !id.empty()) (void)opened.client->CancelTask(id);
        }
        break;
      }
      case v1::RunTaskEvent::kResult:
        result = event.result();
        interrupt.Ended(result->id());  // a short task's id comes only here
        break;
      default: break;
    }
  });
  interrupt.Ended();
  const int interrupted_by = interrupt.first_signal();
  const std::string task_id = interrupt.id();
  if (result && json) {
    nlohmann::json out = TaskJson(*result);
    out["stdout"] = out_text;
    out["stderr"] = err_text;
    std::cout << DumpJson(out) << std::flush;
  }
  if (interrupted_by != 0) {
    const std::string what =
        task_id.empty()
            ? "before the agent named the task (if it runs, 'slothctl agent tasks " + args.agent + "' lists it)"
        : !result ? "task " + task_id + " may still be running (cancel it with 'slothctl agent cancel " + args.agent +
                        " " + task_id + "')"
        : result->cancelled() ? "task " + task_id + " cancelled"
                              : "task " + task_id + " had ended";
    throw CtlError(kExitSignalBase + interrupted_by, fmt::format("interrupted: {}", what));
  }
  if (output_closed) return kExitSignalBase + SIGPIPE;  // as if the pipe had killed us
  if (!result) {
    if (!streamed && !task_id.empty()) {
      // The stream broke mid-task (the agent, or the master relaying it, went away): say what may
      // still be running, and where to look.
      CallError lost = streamed.error();
      lost.message = fmt::format(
          "{}; the connection ended before the task did: task {} may still be running (see 'slothctl agent tasks {}')",
          lost.message, task_id, args.agent);
      ThrowCallError(*opened.client, args.agent, "RunTask", lost);
    }
    // No task id: the agent refused the task (or the call failed before it began).
    if (!streamed) ThrowRunTaskError(*opened.client, args.agent, streamed.error());
    throw CtlError(kExitFailure, fmt::format("agent '{}' ended the task stream without a result", args.agent));
  }
  if (const std::string message = TaskOutcomeMessage(*result, requested_timeout); !message.empty()) {
    std::cerr << "slothctl: " << message << std::endl;
  }
  if (!json && !result->limits_not_enforced().empty()) {
    std::cerr << "slothctl: warning: task " << result->id() << ": " << result->limits_not_enforced() << std::endl;
  }
  return TaskExitCode(*result);
}

}  // namespace

void AddAgentCommands(CommandLine& cli) {
  CLI::App* agent = cli.app.add_subcommand("agent", "Talk to one agent");
  agent->require_subcommand(1);
  // One agent name per run: only the chosen command's argument is filled.
  auto name = std::make_shared<std::string>();
  const auto with_agent = [&cli, agent, name](const std::string& verb, const std::string& help,
                                              std::function<int(const Context&, const std::string&)> run) {
    CLI::App* command = cli.AddCommand(agent, verb, help, [name, run](const Context& c) { return run(c, *name); });
    command->add_option("agent", *name, kAgentArgHelp)->required();
    return command;
  };
  cli.AddCommand(agent, "list",
                 "List the agents the master knows: status (up, down after missed heartbeats, gone when\n"
                 "unregistered), version, platform, last heartbeat, metrics URL, labels",
                 AgentListCommand);
  with_agent("remove", "Forget an agent on the master (one still running registers again when it redials)",
             AgentRemoveCommand);
  with_agent("info", "Show the agent's name, version, uptime and endpoints", AgentInfoCommand);
  with_agent("health", "Check the agent's health (exit 0 healthy, 1 not)", AgentHealthCommand);
  with_agent("tasks", "List running, queued and recent tasks", AgentTasksCommand);
  with_agent("reload",
             "Make the agent re-read its configuration (as systemctl reload); exit 1 with the\n"
             "error when the new file is bad, which leaves the running configuration in force",
             AgentReloadCommand);

  auto task_id = std::make_shared<std::string>();
  with_agent("cancel", "Cancel a running or queued task",
             [task_id](const Context& c, const std::string& agent_name) {
               return AgentCancelCommand(c, agent_name, *task_id);
             })
      ->add_option("task-id", *task_id, "The task's ID (see 'agent tasks')")
      ->required();

  auto run_args = std::make_shared<AgentRunArgs>();
  CLI::App* run =
      cli.AddCommand(agent, "run",
                     "Run a shell command on the agent, streaming its output; exits with its exit code.\n"
                     "Put the command in quotes, or after --. With --output json the result, including the\n"
                     "task's stdout and stderr, is printed once it finishes instead of streaming.",
                     [run_args](const Context& c) { return AgentRunCommand(c, *run_args); });
  run->add_option("agent", run_args->agent, kAgentArgHelp)->required();
  run->add_option("command", run_args->command, "The command, run as /bin/sh -c COMMAND")->required();
  run->add_option("--name", run_args->name, "Task name (default: adhoc)")->type_name("N");
  run->add_option("--group", run_args->group, "Task group (default: adhoc)")->type_name("G");
  run->add_option("--timeout", run_args->timeout, "Kill the task after this long (default: the agent's); exit 124")
      ->type_name("D");
  run->add_option("--workdir", run_args->workdir, "Working directory on the agent")->type_name("DIR");
  run->add_option("--env", run_args->env, "Add KEY=VALUE to the task's environment (repeatable)")
      ->type_name("K=V")
      ->allow_extra_args(false);
  run->add_option("--user", run_args->user,
                  "Run as this user: one of the agent's [tasks] user and allowed_users (unit mode)")
      ->type_name("U");
  run->add_option("--memory-max", run_args->memory_max, "Memory limit, e.g. 512M, 2G, or max (default: the agent's)")
      ->type_name("SIZE");
  run->add_option("--cpu-quota", run_args->cpu_quota, "CPU limit in percent of one CPU, e.g. 50%, 200%, or max")
      ->type_name("PCT");
  run->add_option("--tasks-max", run_args->tasks_max, "Limit on the task's processes and threads, or max")
      ->type_name("N");
}

}  // namespace sloth::ctl
