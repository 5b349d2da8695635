#include "ctl/global_options.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "ctl/errors.h"

namespace sloth::ctl {
namespace {

std::optional<std::string> Get(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

bool NamesUtf8(std::string value) {
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return value.find("utf-8") != std::string::npos || value.find("utf8") != std::string::npos;
}

}  // namespace

Environment Environment::FromProcess() {
  return Environment{Get("SLOTH_SOCKET"), Get("NO_COLOR"),       Get("LC_ALL"),       Get("LC_CTYPE"),
                     Get("LANG"),         Get("SLOTH_PASSWORD"), Get("SLOTH_MASTER"), Get("SLOTH_TOKEN")};
}

std::string ChooseSocketPath(const std::string& flag, const Environment& env) {
  if (!flag.empty()) return flag;
  if (env.sloth_socket && !env.sloth_socket->empty()) return *env.sloth_socket;
  return kDefaultSocketPath;
}

std::optional<MasterEndpoint> ChooseMaster(const GlobalFlags& flags, const Environment& env) {
  std::string address = flags.master;
  std::string from = "--master";
  if (address.empty() && env.sloth_master && !env.sloth_master->empty()) {
    address = *env.sloth_master;
    from = "SLOTH_MASTER";
  }
  if (address.empty() && !flags.master_in_file.empty()) {
    address = flags.master_in_file;
    from = flags.master_in_file_source + ": master.address";
  }
  if (address.empty()) return std::nullopt;
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size() ||
      address.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
    throw UsageError(fmt::format("{}: expected HOST:PORT (e.g. master.example:50053), got '{}'", from, address));
  }
  MasterEndpoint master;
  master.address = std::move(address);
  master.cacert = flags.master_cacert;
  master.cert = flags.master_cert;
  master.key = flags.master_key;
  master.token_file = flags.master_token_file;
  if (env.sloth_token) master.token = *env.sloth_token;
  master.insecure = flags.master_insecure;
  return master;
}

bool EmojiAllowed(bool no_color_flag, const Environment& env) {
  if (no_color_flag || (env.no_color && !env.no_color->empty())) return false;
  // POSIX precedence: the first non-empty of LC_ALL, LC_CTYPE, LANG decides the charset.
  for (const auto* value : {&env.lc_all, &env.lc_ctype, &env.lang}) {
    if (*value && !(*value)->empty()) return NamesUtf8(**value);
  }
  return false;
}

Duration ParseDurationFlag(const std::string& flag, const std::string& value) {
  auto parsed = ParseDuration(value);
  if (!parsed) throw UsageError(flag + ": " + parsed.error().message + " (examples: 500ms, 30s, 5m, 1h)");
  if (*parsed <= Duration::zero()) throw UsageError(flag + ": must be greater than 0, got '" + value + "'");
  return *parsed;
}

Context MakeContext(const GlobalFlags& flags, const Environment& env) {
  Context context;
  context.socket_path = ChooseSocketPath(flags.socket, env);
  if (!flags.endpoint.empty()) context.endpoint = flags.endpoint;
  auto format = ParseOutputFormat(flags.output);
  if (!format) throw UsageError("--output: expected 'text' or 'json', got '" + flags.output + "'");
  context.output = *format;
  context.call_timeout = ParseDurationFlag("--timeout", flags.timeout);
  context.emoji = EmojiAllowed(flags.no_color, env);
  context.no_color = flags.no_color;
  if (flags.user.find(':') != std::string::npos) {
    throw UsageError(
        "--user: a user name only; the password never goes on the command line (set SLOTH_PASSWORD, use "
        "--password-file, or type it at the prompt)");
  }
  if (!flags.key.empty() && flags.cert.empty()) throw UsageError("--key: needs --cert (the client certificate)");
  context.http =
      Context::Http{flags.cacert, flags.cert, flags.key, flags.user, flags.password_file, env.sloth_password};
  context.master = ChooseMaster(flags, env);
  if (flags.via == "dbus") {
    context.via = Context::Via::kDbus;
  } else if (flags.via != "socket") {
    throw CtlError(kExitUsage, fmt::format("--via: expected socket or dbus, got '{}'", flags.via));
  }
  return context;
}

}  // namespace sloth::ctl
