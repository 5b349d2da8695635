#include "ctl/commands/run.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "ctl/cancel_on_interrupt.h"
#include "ctl/clients/agent_connection.h"
#include "ctl/errors.h"
#include "ctl/interrupt_watcher.h"
#include "ctl/output.h"
#include "ctl/resolve.h"
#include "ctl/term/live_lines.h"
#include "ctl/term/terminal.h"
#include "ctl/term/terminal_policy.h"
#include "ctl/workflows/plan_text.h"
#include "ctl/workflows/run_progress.h"
#include "daemon/core/workflows/workflow_plan.h"

namespace sloth::ctl {
namespace {

// The whole file, up to `limit` bytes and one more (so the parser can say it is too large).
std::string ReadFile(const std::string& path, size_t limit, const char* flag) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw UsageError(fmt::format("{} {}: cannot read it: {}", flag, path, std::strerror(errno)));
  std::string text;
  char buffer[65536];
  while (text.size() <= limit) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      throw UsageError(fmt::format("{} {}: cannot read it: {}", flag, path, std::strerror(error)));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

// How often the live frame is redrawn (elapsed times move on between events).
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

int64_t NowUnixMillis() { return UnixMillis(std::chrono::system_clock::now()); }

// What the stream's reader and the drawing thread share.
struct RunState {
  std::mutex mutex;
  std::condition_variable changed;  // an event came, or the stream ended
  RunProgress progress;
  bool ended = false;
};

// Redraws the live frame on its own thread until the stream ends, then draws the last one.
class LiveView {
 public:
  LiveView(RunState& state, ProgressStyle style) : state_(state), style_(style), thread_([this] { Loop(); }) {}
  ~LiveView() { thread_.join(); }

 private:
  void Loop() {
    term::LiveLines lines(STDOUT_FILENO);
    std::unique_lock lock(state_.mutex);
    for (;;) {
      const term::TerminalSize size = term::QueryTerminalSize(STDOUT_FILENO);
      const bool last = state_.ended;
      if (state_.progress.started()) {
        lines.Draw(
            state_.progress.LiveFrame(NowUnixMillis(), std::max(size.cols - 1, 20), std::max(size.rows, 4), style_));
      }
      if (last) return;
      state_.changed.wait_for(lock, kRedrawInterval);
    }
  }

  RunState& state_;
  const ProgressStyle style_;
  std::thread thread_;
};

int RunOnAgent(const Context& context, const RunArgs& args, const v1::RunWorkflowRequest& request);

}  // namespace

void AddRunCommand(CommandLine& cli) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* run =
      cli.AddCommand(&cli.app, "run",
                     "Run a workflow (groups of tasks with dependencies, TOML) on an agent, with live progress\n"
                     "and a summary; exits 1 if a task failed. A bad file is refused first, with file:line:column.",
                     [args](const Context& c) { return RunCommand(c, *args); });
  run->add_option("-f,--file", args->file, "The workflow file")->type_name("PATH")->required();
  run->add_option("--values", args->values_files, "A TOML file of values for {{ NAME }} (repeatable)")
      ->type_name("PATH")
      ->allow_extra_args(false);
  run->add_option("--set", args->sets, "Set a value, over the files (repeatable)")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false);
  run->add_option("--agent", args->agent, kAgentArgHelp)->type_name("AGENT")->capture_default_str();
  run->add_option("--group", args->groups, "Run only this group and those it needs (repeatable)")
      ->type_name("G")
      ->allow_extra_args(false);
  run->add_flag("--dry-run", args->dry_run, "Print the plan (order, what runs in parallel); run nothing");
}

WorkflowSource ReadWorkflowSource(const RunArgs& args) {
  WorkflowSource source;
  source.file = {args.file, ReadFile(args.file, kMaxWorkflowFileBytes, "-f")};
  for (const std::string& path : args.values_files) {
    source.values_files.push_back({path, ReadFile(path, kMaxValuesFileBytes, "--values")});
  }
  source.sets = args.sets;
  source.groups = args.groups;
  return source;
}

v1::RunWorkflowRequest BuildRunWorkflowRequest(const WorkflowSource& source) {
  v1::RunWorkflowRequest request;
  request.mutable_file()->set_name(source.file.name);
  request.mutable_file()->set_text(source.file.text);
  for (const NamedText& values : source.values_files) {
    v1::NamedText* out = request.add_values();
    out->set_name(values.name);
    out->set_text(values.text);
  }
  for (const std::string& set : source.sets) request.add_set(set);
  for (const std::string& group : source.groups) request.add_groups(group);
  return request;
}

int RunCommand(const Context& context, const RunArgs& args) {
  const WorkflowSource source = ReadWorkflowSource(args);
  auto workflow = LoadWorkflow(source);
  if (!workflow) throw CtlError(kExitUsage, workflow.error().ToString());
  if (args.dry_run) {
    const WorkflowPlan plan = PlanWorkflow(*workflow);
    std::cout << (context.output == OutputFormat::kJson ? DumpJson(PlanJson(*workflow, plan))
                                                        : RenderPlanText(*workflow, plan))
              << std::flush;
    return kExitOk;
  }
  return RunOnAgent(context, args, BuildRunWorkflowRequest(source));
}

namespace {

int RunOnAgent(const Context& context, const RunArgs& args, const v1::RunWorkflowRequest& request) {
  const bool json = context.output == OutputFormat::kJson;
  const bool live = !json && term::ColourEnabled(term::ColorMode::kAuto, context.no_color, ::isatty(STDOUT_FILENO) == 1,
                                                 term::TermEnvironment::FromProcess());
  const ProgressStyle style{.colour = live, .emoji = context.emoji};

  RunState state;
  RunHandle handle;
  CancelOnInterrupt interrupt(handle);
  // Created before any gRPC thread so that they inherit the blocked SIGINT/SIGTERM.
  OpenedAgent opened;
  InterruptWatcher watcher([&](int signal) { interrupt.OnSignal(signal); });
  opened = OpenAgent(context, args.agent, false, /*need_info=*/false);
  interrupt.Connected(opened.client.get(), "the run");

  std::optional<LiveView> view;
  if (live) view.emplace(state, style);
  const auto streamed = opened.client->RunWorkflow(request, handle, [&](const v1::WorkflowEvent& event) {
    {
      std::lock_guard lock(state.mutex);
      state.progress.Apply(event);
      if (event.has_result()) state.ended = true;
    }
    state.changed.notify_all();
    if (!live && !json) {
      if (const std::string line = PlainProgressLine(event); !line.empty()) std::cout << line << std::endl;
    }
    if (event.has_started()) interrupt.IdKnown(event.started().id());
    if (event.has_result()) interrupt.Ended(event.result().id());
  });
  interrupt.Ended();
  {
    std::lock_guard lock(state.mutex);
    state.ended = true;
  }
  state.changed.notify_all();
  view.reset();  // the last frame is drawn

  const int interrupted_by = interrupt.first_signal();
  const std::string run_id = interrupt.id();
  const RunProgress& progress = state.progress;
  if (progress.finished()) {
    if (json) {
      std::cout << DumpJson(progress.Json()) << std::flush;
    } else {
      std::cout << "\n" << progress.Summary(style) << std::flush;
    }
  }
  if (interrupted_by != 0) {
    const std::string what =
        run_id.empty()
            ? "before the agent named the run (if it runs, 'slothctl agent tasks " + args.agent + "' lists it)"
        : !progress.finished() ? "run " + run_id + " may still be running (cancel it with 'slothctl agent cancel " +
                                     args.agent + " " + run_id + "')"
        : progress.run().cancelled() ? "run " + run_id + " cancelled"
                                     : "run " + run_id + " had ended";
    throw CtlError(kExitSignalBase + interrupted_by, fmt::format("interrupted: {}", what));
  }
  if (!streamed) {
    if (streamed.error().code == CallCode::kInvalidArgument) throw CtlError(kExitUsage, streamed.error().message);
    ThrowCallError(*opened.client, args.agent, "RunWorkflow", streamed.error());
  }
  if (!progress.finished()) {
    throw CtlError(kExitFailure, fmt::format("agent '{}' ended the workflow stream without a result", args.agent));
  }
  return progress.run().status() == v1::TASK_STATUS_SUCCESS ? kExitOk : kExitFailure;
}

}  // namespace

}  // namespace sloth::ctl
