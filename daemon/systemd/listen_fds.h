#pragma once
// Sockets passed by systemd (socket activation), matched by FileDescriptorName=.
#include <string>
#include <vector>

#include "common/log.h"
#include "common/unique_fd.h"

namespace sloth {

struct PassedSockets {
  UniqueFd control;  // FileDescriptorName=control: a listening AF_UNIX stream socket
  UniqueFd metrics;  // FileDescriptorName=metrics: a listening TCP socket
};

// Takes the sockets from LISTEN_FDS/LISTEN_FDNAMES (and unsets them, so tasks never see them).
// Sockets with other names or of the wrong kind are closed with a warning.
PassedSockets TakePassedSockets(Logger& log);

}  // namespace sloth
