#include "ctl/resolve.h"

#include "ctl/clients/agent_client.h"
#include "ctl/clients/dbus_agent_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "common/unique_fd.h"
#include "ctl/errors.h"

namespace sloth::ctl {
namespace {

// slothd tells a connection it refuses why, in one line, before closing it (control_socket.h);
// a gRPC client only sees the connection fail. Reads that line, if that is what happened.
std::optional<std::string> RefusalFromDaemon(const std::string& socket_path) {
  sockaddr_un address{};
  if (socket_path.empty() || socket_path.size() >= sizeof address.sun_path) return std::nullopt;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
  const UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) return std::nullopt;
  const std::string_view prefix = "slothd: refused: ";
  char buffer[512];
  pollfd p{fd.get(), POLLIN, 0};
  if (::poll(&p, 1, 1000) <= 0) return std::nullopt;
  const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
  std::string_view line(buffer, n > 0 ? static_cast<size_t>(n) : 0);
  if (!line.starts_with(prefix)) return std::nullopt;
  line.remove_prefix(prefix.size());
  return std::string(line.substr(0, line.find('\n')));
}

std::string ReachHint(bool metrics_command) {
  return metrics_command ? "is slothd running? pass --socket PATH or set SLOTH_SOCKET, or pass "
                           "--endpoint URL"
                         : "is slothd running? pass --socket PATH or set SLOTH_SOCKET";
}

}  // namespace

bool IsLocalAlias(std::string_view agent) { return agent == "local" || agent == "."; }

LocalDecision DecideLocal(std::string_view agent, const LocalProbe& probe, bool metrics_command, bool endpoint_given) {
  LocalDecision decision;
  if (probe.permission_denied) {
    decision.exit_code = kExitUnavailable;
    decision.message = fmt::format(
        "permission denied: agent '{}' at {} refuses this user ({}) — slothd is running; use it as root or as a member "
        "of its group (sudo adduser $USER slothd, then log in again)",
        agent, probe.target, probe.error);
    return decision;
  }
  if (probe.refused) {
    decision.exit_code = kExitUnavailable;
    decision.message = fmt::format("agent '{}' at {} refused the connection: {}", agent, probe.target, probe.error);
    return decision;
  }
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
    if (connected.error().code == CallCode::kPermissionDenied) {
      probe.permission_denied = true;  // the socket file's mode, or the bus policy
    } else if (context.via != Context::Via::kDbus) {
      if (auto refusal = RefusalFromDaemon(context.socket_path)) {
        probe.error = *refusal;  // slothd's own check (SO_PEERCRED) or its connection limits
        probe.refused = true;
        probe.permission_denied = refusal->find("too many") == std::string::npos;
      }
    }
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
