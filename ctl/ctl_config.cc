#include "ctl/ctl_config.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "ctl/errors.h"

namespace sloth::ctl {
namespace {

std::string At(const std::string& path, const toml::source_region& where) {
  return fmt::format("{}:{}:{}", path, where.begin.line, where.begin.column);
}

}  // namespace

Result<CtlConfig> ParseCtlConfig(std::string_view text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Failure{fmt::format("{}: TOML syntax error: {}", At(path, e.source()), e.description())};
  }
  CtlConfig config;
  config.path = path;
  for (auto&& [section, node] : root) {
    if (section.str() != "master" || !node.is_table()) {
      return Failure{
          fmt::format("{}: {}: unknown section (allowed: [master])", At(path, section.source()), section.str())};
    }
    for (auto&& [key, value] : *node.as_table()) {
      const std::string name(key.str());
      if (name == "insecure") {
        if (!value.is_boolean()) {
          return Failure{fmt::format("{}: master.insecure: expected true or false", At(path, key.source()))};
        }
        config.master_insecure = value.as_boolean()->get();
        continue;
      }
      std::string* field = name == "address"      ? &config.master
                           : name == "cacert"     ? &config.master_cacert
                           : name == "cert"       ? &config.master_cert
                           : name == "key"        ? &config.master_key
                           : name == "token_file" ? &config.master_token_file
                                                  : nullptr;
      if (field == nullptr) {
        return Failure{
            fmt::format("{}: master.{}: unknown key (allowed: address, cacert, cert, key, token_file, insecure)",
                        At(path, key.source()), name)};
      }
      if (!value.is_string()) {
        return Failure{fmt::format("{}: master.{}: expected a string", At(path, key.source()), name)};
      }
      *field = value.as_string()->get();
    }
  }
  return config;
}

CtlConfig LoadCtlConfig(const std::optional<std::string>& env_path) {
  const bool named = env_path && !env_path->empty();
  const std::string path = named ? *env_path : kDefaultCtlConfigPath;
  // The default file is optional, and only group slothd may read /etc/sloth.
  if (!named && ::access(path.c_str(), R_OK) != 0) return {};
  std::ifstream file(path);
  if (!file) {
    throw UsageError(fmt::format("cannot read {} (named by SLOTHCTL_CONFIG): {}", path, std::strerror(errno)));
  }
  std::stringstream text;
  text << file.rdbuf();
  auto parsed = ParseCtlConfig(text.str(), path);
  if (!parsed) throw UsageError(parsed.error().message);
  return std::move(parsed).value();
}

}  // namespace sloth::ctl
