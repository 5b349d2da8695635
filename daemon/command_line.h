#pragma once
// slothd's command line (CLI11). Flags keep the original agent's names and override the file.
#include <optional>
#include <string>
#include <variant>

#include "daemon/core/config.h"

namespace sloth {

struct CommandLine {
  Role role = Role::kAgent;                     // --role
  std::string config_path{kDefaultConfigPath};  // kDefaultMasterConfigPath for the master
  bool config_path_given = false;
  bool check_config = false;
  // Overrides, applied on top of the file in ApplyOverrides.
  std::optional<std::string> name, master, control_socket, state_dir, metrics_address, log_level, web_config;
  std::optional<uint16_t> metrics_port;
  std::optional<bool> telemetry;
};

// Exit now with this code (help, version, or a usage error already printed).
struct CommandLineExit {
  int code;
};

std::variant<CommandLine, CommandLineExit> ParseCommandLine(int argc, char** argv);

// Applies the flags to `config`; a refused value comes back as a ConfigError naming the flag.
std::optional<ConfigError> ApplyOverrides(const CommandLine& cli, Config* config);

}  // namespace sloth
