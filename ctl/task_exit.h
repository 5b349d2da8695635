#pragma once
// How a finished task becomes slothctl's exit status and its one stderr line. Pure.
#include <string>

#include "common/duration.h"
#include "sloth/v1/agent.pb.h"

namespace sloth::ctl {

// 124 on timeout, 128+N when killed by signal N, the task's own exit code otherwise
// (0 on success), 1 when it never ran.
int TaskExitCode(const v1::TaskResult& result);

// The line (without "slothctl: ") to print on stderr for an outcome the exit code alone does
// not explain — timeout, signal, cancel, never ran, an exit the agent explains further — or ""
// for a normal exit.
// `requested_timeout` (0: the agent's default) names the limit in the timeout message.
std::string TaskOutcomeMessage(const v1::TaskResult& result, Duration requested_timeout);

}  // namespace sloth::ctl
