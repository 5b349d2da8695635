#pragma once
// Which agent a command talks to: an explicit --endpoint (metrics commands), else the local
// daemon when its name matches, else the master (--master, $SLOTH_MASTER), which relays to the
// agent by name, else an error that says what was tried. The decisions are pure; OpenAgent does
// the dialling.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ctl/clients/agent_connection.h"
#include "ctl/clients/master_client.h"
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

// Who serves <agent>: the local daemon, the master, or no one (the error to stop with).
struct Route {
  enum class Via { kLocal, kMaster, kNone } via = Via::kNone;
  int exit_code = 0;
  std::string message;  // without "slothctl: "
};

// `master_configured`: a master is known; `metrics_command`: --endpoint applies (and is
// suggested) only to metrics commands; `endpoint_given`: an --endpoint was passed (so the message
// can say it was not usable). "local" and "." never go to the master.
Route DecideRoute(std::string_view agent, const LocalProbe& probe, bool master_configured, bool metrics_command,
                  bool endpoint_given);

// An unconnected client for the local agent, by --via: its socket (gRPC) or the system bus.
std::unique_ptr<AgentConnection> MakeLocalConnection(const Context& context, std::chrono::milliseconds timeout);

// A connected client for <agent> and what it said about itself.
struct OpenedAgent {
  std::unique_ptr<AgentConnection> client;
  v1::AgentInfo info;
  bool through_master = false;
};

// Dials the local socket (connect timeout: min(--timeout, 2s)), asks GetInfo and applies
// DecideRoute; through the master, asks the agent's GetInfo there unless `need_info` is false
// (the command's own call then says whether the agent is there: one relay fewer). Throws
// CtlError (69) when <agent> is not there or cannot be reached.
OpenedAgent OpenAgent(const Context& context, const std::string& agent, bool metrics_command, bool need_info = true);

// The master's own calls, for `command` ("agent list"); throws a usage CtlError when no master is
// configured.
MasterClient OpenMaster(const Context& context, std::string_view command);

// A client for <agent> through the master (not connected yet); the context must have a master.
std::unique_ptr<AgentConnection> MakeMasterConnection(const Context& context, const std::string& agent,
                                                      std::chrono::milliseconds timeout);

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
