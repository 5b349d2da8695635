#pragma once
// `slothctl agent ...`: info, health, tasks, cancel and run against one agent, over its control
// socket or the system bus.
#include <string>
#include <vector>

#include "ctl/command_line.h"
#include "ctl/global_options.h"
#include "sloth/v1/agent.pb.h"

namespace sloth::ctl {

// `agent run` as typed.
struct AgentRunArgs {
  std::string agent;
  std::vector<std::string> command;  // joined with spaces, run as /bin/sh -c
  std::string name;
  std::string group;
  std::string timeout;  // empty: the agent's default
  std::string workdir;
  std::vector<std::string> env;  // K=V
  std::string user;              // empty: the agent's [tasks] user
  std::string memory_max;        // limits as typed ("512M", "50%", "64", "max"); empty: the agent's
  std::string cpu_quota;
  std::string tasks_max;
};

// Adds `agent info|health|tasks|reload|cancel|run` to the command line, each with its flags and help.
void AddAgentCommands(CommandLine& cli);

// Maps the arguments to the request; throws a usage CtlError naming the bad flag.
v1::RunTaskRequest BuildRunTaskRequest(const AgentRunArgs& args);

}  // namespace sloth::ctl
