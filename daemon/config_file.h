#pragma once
// Reading slothd's configuration file with bounds, at start and on reload: only a regular file
// (a directory, FIFO, device or socket is refused without reading from it; /dev/null reads as
// empty), and at most
// kMaxConfigFileBytes of it. The file's text then goes to ParseConfig (daemon/core/config.h).
#include <cstddef>
#include <string>

#include "common/result.h"

namespace sloth {

// Far above any real configuration (the documented one with every key is ~5 KiB), far below
// anything that could hurt the daemon's memory.
inline constexpr size_t kMaxConfigFileBytes = 1024 * 1024;

struct ConfigFileError {
  bool missing = false;  // the path does not exist (the default path may be absent)
  std::string message;   // what is wrong with the path and what to do, without the path itself
};

// The whole text of the regular file at `path`, or why it cannot be a configuration file.
// Never blocks (a FIFO is refused, not opened for a writer to come) and never reads more than
// `max_bytes` + 1 bytes.
Result<std::string, ConfigFileError> ReadConfigFile(const std::string& path, size_t max_bytes = kMaxConfigFileBytes);

}  // namespace sloth
