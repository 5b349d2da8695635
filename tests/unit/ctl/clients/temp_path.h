#pragma once
// A path under $TMPDIR that names nothing, for clients that must fail to find a socket.
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace sloth::ctl {

inline std::string TempPath(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/slothctl-test-" + std::to_string(::getpid()) +
         "-" + name;
}

}  // namespace sloth::ctl
