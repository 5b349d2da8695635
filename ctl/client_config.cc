#include "ctl/client_config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include <toml++/toml.h>

#include "ctl/errors.h"

namespace sloth::ctl {
namespace {

std::string Where(std::string_view source, const toml::source_region& region) {
  return fmt::format("{}:{}:{}", source, region.begin.line, region.begin.column);
}

}  // namespace

void ApplyClientConfig(std::string_view text, std::string_view source, const std::string& home, GlobalFlags* flags) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw UsageError(fmt::format("{}: TOML syntax error: {}", Where(source, e.source()), e.description()));
  }
  struct Key {
    std::string_view name;
    std::string* field;
    bool path;
  };
  const Key keys[] = {{"endpoint", &flags->endpoint, false},
                      {"socket", &flags->socket, true},
                      {"cacert", &flags->cacert, true},
                      {"cert", &flags->cert, true},
                      {"key", &flags->key, true},
                      {"user", &flags->user, false},
                      {"password_file", &flags->password_file, true}};
  for (auto&& [name, node] : root) {
    const std::string_view key = name.str();
    if (key == "password") {
      throw UsageError(fmt::format("{}: password: not kept in slothctl.toml; use password_file or SLOTH_PASSWORD",
                                   Where(source, name.source())));
    }
    const Key* known = nullptr;
    for (const Key& k : keys) known = k.name == key ? &k : known;
    if (!known) {
      throw UsageError(
          fmt::format("{}: {}: unknown key (allowed: endpoint, socket, cacert, cert, key, user, "
                      "password_file)",
                      Where(source, name.source()), key));
    }
    if (!node.is_string())
      throw UsageError(fmt::format("{}: {}: expected a string", Where(source, node.source()), key));
    if (!known->field->empty()) continue;  // the command line wins
    std::string value = node.as_string()->get();
    if (known->path && value.starts_with("~/") && !home.empty()) value.replace(0, 1, home);
    *known->field = std::move(value);
  }
}

void LoadClientConfig(GlobalFlags* flags) {
  const char* home_env = std::getenv("HOME");
  const std::string home = home_env ? home_env : "";
  std::string path = flags->config;
  if (path.empty()) {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg) {
      path = std::string(xdg) + "/sloth/slothctl.toml";
    } else if (!home.empty()) {
      path = home + "/.config/sloth/slothctl.toml";
    } else {
      return;
    }
  }
  std::ifstream file(path);
  if (!file) {
    if (flags->config.empty()) return;  // the default file is optional
    throw UsageError(fmt::format("--config: cannot read {}", path));
  }
  std::stringstream text;
  text << file.rdbuf();
  ApplyClientConfig(text.str(), path, home, flags);
}

}  // namespace sloth::ctl
