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
#include <optional>
#include <string>
#include <string_view>

#include "ctl/global_options.h"

namespace sloth::ctl {

// Fills the flags left empty from the TOML document `text` (named `source` in errors); `home`
// expands a leading "~/". Throws a usage CtlError naming source:line:column and the key for
// unknown keys, wrong types, and a `password` key.
void ApplyClientConfig(std::string_view text, std::string_view source, const std::string& home, GlobalFlags* flags);

// Reads --config (which must exist) or, when not given, $XDG_CONFIG_HOME/sloth/slothctl.toml
// (else ~/.config/sloth/slothctl.toml) if it exists, and applies it.
void LoadClientConfig(GlobalFlags* flags);

}  // namespace sloth::ctl
