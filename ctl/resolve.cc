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
// a gRPC client only sees the connection fail. Reads that line, if that is what happened. A slothd
// that accepts always writes at once (that line, or gRPC's own settings frame), so the wait is long
// only for a daemon too loaded to answer: it is the caller's to choose, not a second.
std::optional<std::string> RefusalFromDaemon(const std::string& socket_path, std::chrono::milliseconds wait) {
  sockaddr_un address{};
  if (socket_path.empty() || socket_path.size() >= sizeof address.sun_path) return std::nullopt;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
  const UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) return std::nullopt;
  const std::string_view prefix = "slothd: refused: ";
  char buffer[512];
  pollfd p{fd.get(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return std::nullopt;
  const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
  std::string_view line(buffer, n > 0 ? static_cast<size_t>(n) : 0);
  if (!line.starts_with(prefix)) return std::nullopt;
  line.remove_prefix(prefix.size());
  return std::string(line.substr(0, line.find('\n')));
}

// `named`: the agent was named (not "local"), so it may be a remote one.
std::string ReachHint(bool metrics_command, bool named) {
  std::string hint = metrics_command ? "is slothd running? pass --socket PATH or set SLOTH_SOCKET, or pass "
                                       "--endpoint URL"
                                     : "is slothd running? pass --socket PATH or set SLOTH_SOCKET";
  if (named) hint += "; a remote agent needs --master HOST:PORT (or $SLOTH_MASTER)";
  return hint;
}

}  // namespace

bool IsLocalAlias(std::string_view agent) { return agent == "local" || agent == "."; }

Route DecideRoute(std::string_view agent, const LocalProbe& probe, bool master_configured, bool metrics_command,
                  bool endpoint_given) {
  Route route;
  const bool reached = probe.error.empty();
  if (reached && (IsLocalAlias(agent) || agent == probe.name)) {
    route.via = Route::Via::kLocal;
    return route;
  }
  // Another agent's name goes to the master whatever the local daemon said (none, refused, another).
  if (master_configured && !IsLocalAlias(agent)) {
    route.via = Route::Via::kMaster;
    return route;
  }
  route.exit_code = kExitUnavailable;
  if (probe.permission_denied) {
    route.message = fmt::format(
        "permission denied: agent '{}' at {} refuses this user ({}) — slothd is running; use it as root or as a member "
        "of its group (sudo adduser $USER slothd, then log in again)",
        agent, probe.target, probe.error);
    return route;
  }
  if (probe.refused) {
    route.message = fmt::format("agent '{}' at {} refused the connection: {}", agent, probe.target, probe.error);
    return route;
  }
  if (!reached) {
    route.message = fmt::format("cannot reach agent '{}' at {}: {} — {}", agent, probe.target, probe.error,
                                ReachHint(metrics_command, !IsLocalAlias(agent)));
    return route;
  }
  route.message = fmt::format(
      "agent '{}' not found: the local agent at {} is '{}'; {}; remote agents need a master: --master HOST:PORT "
      "or $SLOTH_MASTER",
      agent, probe.target, probe.name,
      endpoint_given ? "--endpoint is only used by metrics commands" : "no --endpoint given");
  return route;
}

void ThrowCallError(const AgentConnection& client, const std::string& agent, const std::string& what,
                    const CallError& error) {
  const bool unreachable =
      error.code == CallCode::kUnavailable || error.code == CallCode::kDeadline || error.code == CallCode::kNotFound;
  throw CtlError(unreachable ? kExitUnavailable : kExitFailure,
                 fmt::format("agent '{}' at {}: {} failed: {}", agent, client.target(), what, error.message));
}

std::unique_ptr<AgentConnection> MakeLocalConnection(const Context& context, std::chrono::milliseconds timeout) {
  if (context.via == Context::Via::kDbus) return std::make_unique<DbusAgentClient>(timeout);
  return std::make_unique<AgentClient>(context.socket_path, timeout);
}

MasterClient OpenMaster(const Context& context, std::string_view command) {
  if (!context.master) {
    throw UsageError(fmt::format("{} asks the master: pass --master HOST:PORT or set SLOTH_MASTER", command));
  }
  return MasterClient(*context.master, std::chrono::duration_cast<std::chrono::milliseconds>(context.call_timeout));
}

std::unique_ptr<AgentConnection> MakeMasterConnection(const Context& context, const std::string& agent,
                                                      std::chrono::milliseconds timeout) {
  return std::make_unique<AgentClient>(*context.master, agent, timeout);
}

OpenedAgent OpenAgent(const Context& context, const std::string& agent, bool metrics_command, bool need_info) {
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(context.call_timeout);
  OpenedAgent opened;
  opened.client = MakeLocalConnection(context, timeout);
  LocalProbe probe;
  probe.target = opened.client->target();
  const auto probe_timeout = std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(5));
  if (auto connected = opened.client->Connect(probe_timeout); !connected) {
    probe.error = connected.error().message;
    if (connected.error().code == CallCode::kPermissionDenied) {
      probe.permission_denied = true;  // the socket file's mode, or the bus policy
    } else if (context.via != Context::Via::kDbus) {
      if (auto refusal = RefusalFromDaemon(context.socket_path, probe_timeout)) {
        probe.error = *refusal;  // slothd's own check (SO_PEERCRED) or its connection limits
        probe.refused = true;
        probe.permission_denied = refusal->find("too many") == std::string::npos;
      }
    }
  } else if (auto info = opened.client->GetInfo(); !info) {
    probe.error = "GetInfo failed: " + info.error().message;
  } else {
    opened.info = std::move(info).value();
    probe.name = opened.info.name();
  }
  const Route route =
      DecideRoute(agent, probe, context.master.has_value(), metrics_command, context.endpoint.has_value());
  if (route.via == Route::Via::kLocal) return opened;
  if (route.via == Route::Via::kNone) throw CtlError(route.exit_code, route.message);
  opened.client = MakeMasterConnection(context, agent, timeout);
  opened.through_master = true;
  if (auto connected = opened.client->Connect(timeout); !connected) {
    ThrowCallError(*opened.client, agent, "connecting", connected.error());
  }
  if (need_info) opened.info = CheckedCall(opened.client->GetInfo(), *opened.client, agent, "GetInfo");
  return opened;
}

}  // namespace sloth::ctl
