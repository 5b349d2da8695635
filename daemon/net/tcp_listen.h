#pragma once
// Listening TCP sockets, made by slothd itself (not by the HTTP library) so that errors name
// the address and the flag to change, and so a socket passed by systemd can be used instead.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

namespace sloth {

// Binds and listens (CLOEXEC, non-blocking, SO_REUSEADDR; "::" is dual-stack), or fails with
// "cannot listen on ADDR:PORT: REASON".
Result<UniqueFd> ListenTcp(std::string_view address, uint16_t port, int backlog);

// The port a bound socket listens on (resolves port 0); 0 on error.
uint16_t BoundPort(int fd);

// The address a bound socket listens on ("0.0.0.0", "::1", ...); empty on error.
std::string BoundAddress(int fd);

// "127.0.0.1:9090" or "[::1]:9090".
std::string FormatHostPort(std::string_view address, uint16_t port);

// The address a remote client should use to reach `bound_address`: itself unless it is a
// wildcard, else the first non-loopback IPv4 of the host, else 127.0.0.1.
std::string ReachableAddress(std::string_view bound_address);

}  // namespace sloth
