#pragma once
// slothctl's own file, /etc/sloth/slothctl.toml: where the master is and the operator's
// credentials, so `slothctl agent list` needs no flags (doc/fleet.md). Flags and the environment
// win over it, key by key.
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace sloth::ctl {

inline constexpr const char* kDefaultCtlConfigPath = "/etc/sloth/slothctl.toml";

// [master] of the file; empty strings: not set.
struct CtlConfig {
  std::string path;  // where it was read; empty: no file
  std::string master, master_cacert, master_cert, master_key, master_token_file;
  bool master_insecure = false;
};

// The file's text; a Failure names path:line:column and the key, as slothd's own files do.
Result<CtlConfig> ParseCtlConfig(std::string_view text, const std::string& path);

// $SLOTHCTL_CONFIG when set (it must be readable), else /etc/sloth/slothctl.toml when it exists
// and this user may read it (an operator outside group slothd simply has none). Throws a usage
// CtlError for a file that cannot be read or parsed.
CtlConfig LoadCtlConfig(const std::optional<std::string>& env_path);

}  // namespace sloth::ctl
