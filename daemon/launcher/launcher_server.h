#pragma once
// slothd-launcher's loop: accepts connections on its socket from the one user it serves (slothd;
// root is accepted too), reads one request at a time with its descriptors, decides
// (DecodeRequest, AuthorizeStart) and asks the service manager. Single-threaded: owned by main.
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "daemon/core/config.h"
#include "daemon/launcher/service_manager.h"

namespace sloth {

class LauncherServer {
 public:
  struct Options {
    uid_t peer_uid = 0;       // the uid besides root that may connect (slothd's)
    std::string config_path;  // read again whenever it changes
    std::string exec_helper;  // slothd-task-exec
  };
  // `log` receives one line per refusal or failure (stderr: the journal under systemd).
  LauncherServer(UniqueFd listener, Options options, ServiceManager& manager, std::function<void(std::string)> log);

  // Serves until a signal in `stop_signals` arrives (signalfd); returns 0, or 1 if the listening
  // socket failed.
  int Run(const sigset_t& stop_signals);

  // Handles one request (text and descriptors) from an accepted peer; the reply to send.
  Result<void> Handle(std::string_view text, std::vector<UniqueFd> fds);

 private:
  const TaskConfig& CurrentTasksConfig();
  void ServeClient(int fd, bool* closed);

  UniqueFd listener_;
  const Options options_;
  ServiceManager& manager_;
  std::function<void(std::string)> log_;
  TaskConfig tasks_;
  std::string config_stamp_;  // identifies the version of the file tasks_ came from
};

}  // namespace sloth
