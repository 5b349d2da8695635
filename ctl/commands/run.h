#pragma once
// `slothctl run -f WORKFLOW.toml`: resolves the workflow here (so a bad file is refused before
// any call, with file:line:column), then prints its plan (--dry-run) or has the agent run it.
#include <string>
#include <vector>

#include "ctl/command_line.h"
#include "ctl/global_options.h"
#include "daemon/core/workflows/workflow.h"
#include "sloth/v1/agent.pb.h"

namespace sloth::ctl {

// Adds `run -f FILE [--values F] [--set K=V] [--agent A] [--group G] [--dry-run]`.
void AddRunCommand(CommandLine& cli);

struct RunArgs {
  std::string file;
  std::vector<std::string> values_files;
  std::vector<std::string> sets;  // NAME=VALUE
  std::string agent = "local";
  std::vector<std::string> groups;
  bool dry_run = false;
};

// The request that carries `source` to the agent.
v1::RunWorkflowRequest BuildRunWorkflowRequest(const WorkflowSource& source);

// The texts of the files `args` names (as typed, for messages); throws a usage CtlError naming a
// file that cannot be read.
WorkflowSource ReadWorkflowSource(const RunArgs& args);

// 0 when every task succeeded (or was skipped by its `when`), 1 when one failed, 2 for a bad
// workflow, 130 on Ctrl-C; throws CtlError.
int RunCommand(const Context& context, const RunArgs& args);

}  // namespace sloth::ctl
