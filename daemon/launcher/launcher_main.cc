// slothd-launcher: the minimal privileged launcher of task units (see slothd(8), "PERMISSIONS").
// It runs as root with no capabilities, socket-activated (slothd-launcher.socket), and does one
// thing for slothd: start and stop sloth-task-*.service units in sloth.slice, as the users
// /etc/sloth/slothd.toml allows. slothd itself runs unprivileged and may not talk to the service
// manager's privileged calls at all.
//
//   slothd-launcher [--config FILE] [--peer-user NAME] [--socket PATH]
//
// Without --socket it takes its listening socket from systemd (LISTEN_FDS).
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>

#include "common/unique_fd.h"
#include "daemon/core/config.h"
#include "daemon/launcher/launcher_server.h"
#include "daemon/launcher/service_manager.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

void Log(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

sloth::UniqueFd ListenOn(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return {};
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  sloth::UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  ::unlink(path.c_str());
  if (!fd || ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd.get(), 16) != 0) {
    return {};
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path(sloth::kDefaultConfigPath);
  std::string peer_user = "slothd";
  std::string socket_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--config" || arg == "--peer-user" || arg == "--socket") && i + 1 < argc) {
      (arg == "--config" ? config_path : arg == "--peer-user" ? peer_user : socket_path) = argv[++i];
    } else {
      std::fprintf(stderr, "usage: slothd-launcher [--config FILE] [--peer-user NAME] [--socket PATH]\n");
      return kExitUsage;
    }
  }
  const passwd* peer = ::getpwnam(peer_user.c_str());
  if (peer == nullptr) {
    Log(fmt::format("slothd-launcher: no user \"{}\" (--peer-user): nobody to serve", peer_user));
    return kExitUsage;
  }
  sloth::UniqueFd listener;
  if (!socket_path.empty()) {
    listener = ListenOn(socket_path);
    if (!listener) {
      Log(fmt::format("slothd-launcher: cannot listen on {}: {}", socket_path, std::strerror(errno)));
      return kExitFailure;
    }
  } else if (::sd_listen_fds(1) == 1) {
    listener.reset(SD_LISTEN_FDS_START);
  } else {
    Log("slothd-launcher: no socket passed by systemd (slothd-launcher.socket) and no --socket PATH");
    return kExitUsage;
  }

  // The task units' main process sits beside us (lib/slothd or libexec/slothd of any prefix).
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string exec_helper = (self.parent_path() / "slothd-task-exec").string();
  if (ec || ::access(exec_helper.c_str(), X_OK) != 0) {
    Log(fmt::format("slothd-launcher: {} is missing or not executable", exec_helper));
    return kExitFailure;
  }

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  try {
    sloth::ServiceManager manager;
    sloth::LauncherServer server(std::move(listener), {peer->pw_uid, config_path, exec_helper}, manager, Log);
    return server.Run(stop);
  } catch (const std::exception& e) {
    Log(fmt::format("slothd-launcher: cannot reach the service manager on the system bus: {}", e.what()));
    return kExitFailure;
  }
}
