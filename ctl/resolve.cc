#include "ctl/resolve.h"

#include "ctl/clients/agent_client.h"
#include "ctl/clients/dbus_agent_client.h"

#include <algorithm>

#include <fmt/format.h>

#include "ctl/errors.h"

namespace sloth::ctl {
namespace {

std::string ReachHint(bool metrics_command) {
  return metrics_command ? "is slothd running? pass --socket PATH or set SLOTH_SOCKET, or pass "
                           "--endpoint URL"
                         : "is slothd running? pass --socket PATH or set SLOTH_SOCKET";
}

}  // namespace

bool IsLocalAlias(std::string_view agent) { return agent == "local" || agent == "."; }

LocalDecision DecideLocal(std::string_view agent, const LocalProbe& probe, bool metrics_command, bool endpoint_given) {
  LocalDecision decision;
  if (!probe.error.empty()) {
    decision.exit_code = kExitUnavailable;
    decision.message = fmt::format("cannot reach agent '{}' at {}: {} — {}", agent, probe.target, probe.error,
                                   ReachHint(metrics_command));
    return decision;
  }
  if (IsLocalAlias(agent) || agent == probe.name) {
    decision.use_local = true;
    return decision;
  }
  std::string endpoint_note;
  if (!endpoint_given) {
    endpoint_note = "no --endpoint given";
  } else {
    endpoint_note = "--endpoint is only used by metrics commands";
  }
  decision.exit_code = kExitUnavailable;
  decision.message = fmt::format(
      "agent '{}' not found: the local agent at {} is '{}'; {}; remote agents need --master "
      "(not available yet)",
      agent, probe.target, probe.name, endpoint_note);
  return decision;
}

void ThrowCallError(const AgentConnection& client, const std::string& agent, const std::string& what,
                    const CallError& error) {
  const bool unreachable = error.code == CallCode::kUnavailable || error.code == CallCode::kDeadline;
  throw CtlError(unreachable ? kExitUnavailable : kExitFailure,
                 fmt::format("agent '{}' at {}: {} failed: {}", agent, client.target(), what, error.message));
}

std::unique_ptr<AgentConnection> MakeLocalConnection(const Context& context, std::chrono::milliseconds timeout) {
  if (context.via == Context::Via::kDbus) return std::make_unique<DbusAgentClient>(timeout);
  return std::make_unique<AgentClient>(context.socket_path, timeout);
}

LocalAgent OpenLocalAgent(const Context& context, const std::string& agent, bool metrics_command) {
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(context.call_timeout);
  LocalAgent local;
  local.client = MakeLocalConnection(context, timeout);
  LocalProbe probe;
  probe.target = local.client->target();
  if (auto connected = local.client->Connect(std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(2)));
      !connected) {
    probe.error = connected.error().message;
  } else if (auto info = local.client->GetInfo(); !info) {
    probe.error = "GetInfo failed: " + info.error().message;
  } else {
    local.info = std::move(info).value();
    probe.name = local.info.name();
  }
  const LocalDecision decision = DecideLocal(agent, probe, metrics_command, context.endpoint.has_value());
  if (!decision.use_local) throw CtlError(decision.exit_code, decision.message);
  return local;
}

}  // namespace sloth::ctl
