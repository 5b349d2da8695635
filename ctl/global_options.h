#pragma once
// Global flags as typed on the command line, and the validated context every command runs with.
#include <optional>
#include <string>

#include "common/duration.h"
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
};

// Environment values slothctl looks at, passed in so the decisions stay pure.
struct Environment {
  std::optional<std::string> sloth_socket;
  std::optional<std::string> no_color;
  std::optional<std::string> lc_all;
  std::optional<std::string> lc_ctype;
  std::optional<std::string> lang;
  std::optional<std::string> sloth_password;  // basic-auth password for --user
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
};

// Validates the flags; throws a usage CtlError naming the bad flag.
Context MakeContext(const GlobalFlags& flags, const Environment& env);

// --socket, else $SLOTH_SOCKET (when non-empty), else /run/slothd/slothd.sock.
std::string ChooseSocketPath(const std::string& flag, const Environment& env);

// Emoji only with a UTF-8 locale (LC_ALL, else LC_CTYPE, else LANG names UTF-8) and neither
// NO_COLOR (non-empty, per no-color.org) nor --no-color.
bool EmojiAllowed(bool no_color_flag, const Environment& env);

// Parses a duration flag value; throws a usage CtlError naming `flag` when it is not one.
Duration ParseDurationFlag(const std::string& flag, const std::string& value);

}  // namespace sloth::ctl
