#include "ctl/commands/run.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "ctl/errors.h"
#include "ctl/output.h"
#include "ctl/workflows/plan_text.h"
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

}  // namespace

void AddRunCommand(CommandLine& cli) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* run =
      cli.AddCommand(&cli.app, "run",
                     "Run a workflow (groups of tasks with dependencies, TOML) on an agent, with live progress\n"
                     "and a summary; exits 1 if a task failed. A bad file is refused first, with file:line:column.",
                     [args](const Context& c) { return RunCommand(c, *args); });
  run->add_option("-f,--file", args->file, "The workflow file")->type_name("FILE")->required();
  run->add_option("--values", args->values_files, "A TOML file of values for {{ NAME }} (repeatable)")
      ->type_name("FILE")
      ->allow_extra_args(false);
  run->add_option("--set", args->sets, "Set a value, over the files (repeatable)")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false);
  run->add_option("--agent", args->agent, kAgentArgHelp)->capture_default_str();
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

int RunCommand(const Context& context, const RunArgs& args) {
  const WorkflowSource source = ReadWorkflowSource(args);
  auto workflow = LoadWorkflow(source);
  if (!workflow) throw CtlError(kExitUsage, workflow.error().ToString());
  const WorkflowPlan plan = PlanWorkflow(*workflow);
  if (args.dry_run) {
    std::cout << (context.output == OutputFormat::kJson ? DumpJson(PlanJson(*workflow, plan))
                                                        : RenderPlanText(*workflow, plan))
              << std::flush;
    return kExitOk;
  }
  throw CtlError(kExitFailure, "run: only --dry-run so far");
}

}  // namespace sloth::ctl
