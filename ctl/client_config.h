#pragma once
// slothctl.toml: defaults for the global flags, so an https endpoint's CA, client certificate
// and user need not be typed each time. Flags given on the command line win over the file.
//   endpoint = "https://agent-01.example.org:9090"
//   cacert = "/etc/sloth/tls/server-ca.crt"
//   cert = "~/.config/sloth/client.crt"      (a leading ~/ is the home directory)
//   key = "~/.config/sloth/client.key"
//   user = "prometheus"
//   password_file = "~/.config/sloth/password"   (never the password itself)
//   socket = "/run/slothd/slothd.sock"
//   [master]                                   the fleet's master (doc/fleet.md)
//   address = "master.example:50053"           after --master and $SLOTH_MASTER
//   cacert = "/etc/sloth/tls/ca.crt"
//   cert = "~/.config/sloth/alice.crt"
//   key = "~/.config/sloth/alice.key"
//   token_file = "~/.config/sloth/ci.token"    (never the token itself)
//   insecure = false
#include <optional>
#include <string>
#include <string_view>

#include "ctl/global_options.h"

namespace sloth::ctl {

inline constexpr const char* kHostClientConfigPath = "/etc/sloth/slothctl.toml";

// Fills the flags left empty from the TOML document `text` (named `source` in errors); `home`
// expands a leading "~/". Throws a usage CtlError naming source:line:column and the key for
// unknown keys, wrong types, and a `password` or `token` key.
void ApplyClientConfig(std::string_view text, std::string_view source, const std::string& home, GlobalFlags* flags);

// Reads --config (which must exist) or, when not given, $XDG_CONFIG_HOME/sloth/slothctl.toml
// (else ~/.config/sloth/slothctl.toml) if it exists, then the host's /etc/sloth/slothctl.toml if
// this user may read it (root and group slothd), and applies them in that order: the user's
// file wins over the host's.
void LoadClientConfig(GlobalFlags* flags);

}  // namespace sloth::ctl
