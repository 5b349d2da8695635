#pragma once
// Which agent a command talks to: an explicit --endpoint (metrics commands), else the local
// daemon when its name matches, else an error that says what was tried. The decisions are pure;
// OpenLocalAgent does the dialling.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ctl/clients/agent_connection.h"
#include "ctl/global_options.h"

namespace sloth::ctl {

// "local" and "." mean whatever agent the local daemon is.
bool IsLocalAlias(std::string_view agent);

// What asking the local daemon found.
struct LocalProbe {
  std::string target;              // "unix:/run/slothd/slothd.sock"
  std::string error;               // non-empty: could not reach it, and why
  std::string name;                // its name when reached
  bool permission_denied = false;  // it is there, but refuses this user (file mode or slothd's check)
  bool refused = false;            // slothd itself refused the connection, and `error` says why
};

// The local daemon serves <agent>, or the error to stop with.
struct LocalDecision {
  bool use_local = false;
  int exit_code = 0;
  std::string message;  // without "slothctl: "
};

// `metrics_command`: --endpoint applies (and is suggested) only to metrics commands;
// `endpoint_given`: an --endpoint was passed (so the message can say it was not usable).
LocalDecision DecideLocal(std::string_view agent, const LocalProbe& probe, bool metrics_command, bool endpoint_given);

// An unconnected client for the local agent, by --via: its socket (gRPC) or the system bus.
std::unique_ptr<AgentConnection> MakeLocalConnection(const Context& context, std::chrono::milliseconds timeout);

// A connected client for <agent> and what it said about itself.
struct LocalAgent {
  std::unique_ptr<AgentConnection> client;
  v1::AgentInfo info;
};

// Dials the local socket (connect timeout: min(--timeout, 2s)), asks GetInfo and applies
// DecideLocal; throws CtlError (69) when <agent> is not there.
LocalAgent OpenLocalAgent(const Context& context, const std::string& agent, bool metrics_command);

// Turns a failed call into the CtlError to exit with: 69 when the agent is unreachable or
// silent, 1 otherwise. `what` names the call ("GetInfo").
[[noreturn]] void ThrowCallError(const AgentConnection& client, const std::string& agent, const std::string& what,
                                 const CallError& error);

// The value of a call that worked, or ThrowCallError.
template <class T>
T CheckedCall(CallResult<T> result, const AgentConnection& client, const std::string& agent, const std::string& what) {
  if (!result) ThrowCallError(client, agent, what, result.error());
  return std::move(result).value();
}

}  // namespace sloth::ctl
