#include "ctl/client_config.h"

#include <unistd.h>

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

std::string ExpandHome(std::string value, const std::string& home) {
  if (value.starts_with("~/") && !home.empty()) value.replace(0, 1, home);
  return value;
}

// [master]: the fleet's master and the operator's credentials for it (doc/fleet.md).
void ApplyMasterTable(const toml::table& table, std::string_view source, const std::string& home, GlobalFlags* flags) {
  for (auto&& [name, node] : table) {
    const std::string_view key = name.str();
    const std::string where = Where(source, name.source());
    if (key == "token") {
      throw UsageError(
          fmt::format("{}: master.token: not kept in slothctl.toml; use token_file or SLOTH_TOKEN", where));
    }
    if (key == "insecure") {
      if (!node.is_boolean()) throw UsageError(fmt::format("{}: master.insecure: expected true or false", where));
      flags->master_insecure = flags->master_insecure || node.as_boolean()->get();
      continue;
    }
    std::string* field = key == "address"      ? &flags->master_in_file
                         : key == "cacert"     ? &flags->master_cacert
                         : key == "cert"       ? &flags->master_cert
                         : key == "key"        ? &flags->master_key
                         : key == "token_file" ? &flags->master_token_file
                                               : nullptr;
    if (field == nullptr) {
      throw UsageError(fmt::format(
          "{}: master.{}: unknown key (allowed: address, cacert, cert, key, token_file, insecure)", where, key));
    }
    if (!node.is_string()) throw UsageError(fmt::format("{}: master.{}: expected a string", where, key));
    if (!field->empty()) continue;  // the command line (or the user's own file) wins
    *field = key == "address" ? node.as_string()->get() : ExpandHome(node.as_string()->get(), home);
    if (key == "address") flags->master_in_file_source = where;
  }
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
    if (key == "master" && node.is_table()) {
      ApplyMasterTable(*node.as_table(), source, home, flags);
      continue;
    }
    if (key == "password") {
      throw UsageError(fmt::format("{}: password: not kept in slothctl.toml; use password_file or SLOTH_PASSWORD",
                                   Where(source, name.source())));
    }
    const Key* known = nullptr;
    for (const Key& k : keys) known = k.name == key ? &k : known;
    if (!known) {
      throw UsageError(
          fmt::format("{}: {}: unknown key (allowed: endpoint, socket, cacert, cert, key, user, "
                      "password_file, [master])",
                      Where(source, name.source()), key));
    }
    if (!node.is_string())
      throw UsageError(fmt::format("{}: {}: expected a string", Where(source, node.source()), key));
    if (!known->field->empty()) continue;  // the command line wins
    std::string value = node.as_string()->get();
    *known->field = known->path ? ExpandHome(std::move(value), home) : std::move(value);
  }
}

void LoadClientConfig(GlobalFlags* flags) {
  const char* home_env = std::getenv("HOME");
  const std::string home = home_env ? home_env : "";
  auto apply = [&](const std::string& path, bool must_exist) {
    std::ifstream file(path);
    if (!file) {
      if (!must_exist) return;  // the default files are optional
      throw UsageError(fmt::format("--config: cannot read {}", path));
    }
    std::stringstream text;
    text << file.rdbuf();
    ApplyClientConfig(text.str(), path, home, flags);
  };
  if (!flags->config.empty()) return apply(flags->config, true);
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg) {
    apply(std::string(xdg) + "/sloth/slothctl.toml", false);
  } else if (!home.empty()) {
    apply(home + "/.config/sloth/slothctl.toml", false);
  }
  // The host's, where an administrator puts the fleet's master for every operator; /etc/sloth
  // is 0750 root:slothd, so others simply have none.
  if (::access(kHostClientConfigPath, R_OK) == 0) apply(kHostClientConfigPath, false);
}

}  // namespace sloth::ctl
