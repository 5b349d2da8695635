#pragma once
// Global flags as typed on the command line, and the validated context every command runs with.
#include <optional>
#include <string>

#include "common/duration.h"
#include "ctl/clients/master_endpoint.h"
#include "ctl/output.h"

namespace sloth::ctl {

inline constexpr const char* kDefaultSocketPath = "/run/slothd/slothd.sock";

// Raw global flags, filled by CLI11 in main.cc.
struct GlobalFlags {
  std::string socket;    // empty: $SLOTH_SOCKET, else kDefaultSocketPath
  std::string endpoint;  // empty: none
  std::string output = "text";
  std::string timeout = "10s";
  bool no_color = false;
  std::string via = "socket";  // socket | dbus
  // For an https --endpoint behind a web-config (also from slothctl.toml).
  std::string cacert, cert, key, user, password_file;
  std::string config;  // --config: slothctl.toml; empty: $XDG_CONFIG_HOME/sloth/slothctl.toml if there
  // The master, for agents that are not the local one (doc/fleet.md); the credentials also from
  // slothctl.toml's [master].
  std::string master;  // empty: $SLOTH_MASTER, else master_in_file, else none
  std::string master_cacert, master_cert, master_key, master_token_file;
  bool master_insecure = false;
  std::string master_in_file;         // [master] address of slothctl.toml: after $SLOTH_MASTER
  std::string master_in_file_source;  // "FILE:LINE:COLUMN" of it, for messages
};

// Environment values slothctl looks at, passed in so the decisions stay pure.
struct Environment {
  std::optional<std::string> sloth_socket;
  std::optional<std::string> no_color;
  std::optional<std::string> lc_all;
  std::optional<std::string> lc_ctype;
  std::optional<std::string> lang;
  std::optional<std::string> sloth_password;  // basic-auth password for --user
  std::optional<std::string> sloth_master;
  std::optional<std::string> sloth_token;  // the operator's bearer token for the master
  static Environment FromProcess();
};

struct Context {
  std::string socket_path;
  std::optional<std::string> endpoint;
  OutputFormat output = OutputFormat::kText;
  Duration call_timeout = std::chrono::seconds(10);
  bool emoji = true;      // seed-style emoji in text output; plain ASCII otherwise
  bool no_color = false;  // --no-color: no colour whatever the terminal (NO_COLOR is read where colour is chosen)
  // How to reach the local agent: its control socket (gRPC), or the system bus (D-Bus).
  enum class Via { kSocket, kDbus } via = Via::kSocket;
  // How to authenticate to --endpoint; the password is read when first needed (http_password.h).
  struct Http {
    std::string cacert, cert, key, user, password_file;
    std::optional<std::string> password_from_env;  // $SLOTH_PASSWORD
  } http;
  // Where agents that are not the local one are reached; nullopt: no master.
  std::optional<MasterEndpoint> master;
};

// Validates the flags; throws a usage CtlError naming the bad flag.
Context MakeContext(const GlobalFlags& flags, const Environment& env);

// --socket, else $SLOTH_SOCKET (when non-empty), else /run/slothd/slothd.sock.
std::string ChooseSocketPath(const std::string& flag, const Environment& env);

// --master, else $SLOTH_MASTER (when non-empty), else slothctl.toml's [master] address, with the
// credentials (flags, filled from the file where not given); nullopt when none names a master.
// Throws a usage CtlError naming where the address came from when it is not HOST:PORT.
std::optional<MasterEndpoint> ChooseMaster(const GlobalFlags& flags, const Environment& env);

// Emoji only with a UTF-8 locale (LC_ALL, else LC_CTYPE, else LANG names UTF-8) and neither
// NO_COLOR (non-empty, per no-color.org) nor --no-color.
bool EmojiAllowed(bool no_color_flag, const Environment& env);

// Parses a duration flag value; throws a usage CtlError naming `flag` when it is not one.
Duration ParseDurationFlag(const std::string& flag, const std::string& value);

}  // namespace sloth::ctl
