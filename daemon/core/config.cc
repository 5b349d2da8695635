#include "daemon/core/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <toml++/toml.h>

#include "daemon/core/toml_type_name.h"

namespace sloth {
namespace {

// Reads one value into the config; returns what is allowed when the value is refused.
using Apply = std::function<std::optional<std::string>(const toml::node&, Config&)>;

struct FieldSpec {
  std::string_view section;
  std::string_view key;
  Apply apply;
};

std::optional<std::string> Expect(const toml::node& node, std::string_view what) {
  return fmt::format("expected {}, got {}", what, TomlTypeName(node));
}

Apply String(std::string* (*field)(Config&), std::optional<std::string> (*check)(std::string_view) = nullptr) {
  return [field, check](const toml::node& node, Config& config) -> std::optional<std::string> {
    if (!node.is_string()) return Expect(node, "a string");
    const std::string& value = node.as_string()->get();
    // TOML allows "\u0000"; a path or name cut short at it would name something else.
    if (value.find('\0') != std::string::npos) return "expected a string without NUL characters (\\u0000)";
    if (check) {
      if (auto why = check(value)) return why;
    }
    *field(config) = value;
    return std::nullopt;
  };
}

template <typename T>
Apply Integer(T* (*field)(Config&), int64_t min, int64_t max) {
  return [field, min, max](const toml::node& node, Config& config) -> std::optional<std::string> {
    if (!node.is_integer()) return Expect(node, fmt::format("an integer from {} to {}", min, max));
    const int64_t value = node.as_integer()->get();
    if (value < min || value > max) {
      return fmt::format("expected an integer from {} to {}, got {}", min, max, value);
    }
    *field(config) = static_cast<T>(value);
    return std::nullopt;
  };
}

Apply Boolean(bool* (*field)(Config&)) {
  return [field](const toml::node& node, Config& config) -> std::optional<std::string> {
    if (!node.is_boolean()) return Expect(node, "true or false");
    *field(config) = node.as_boolean()->get();
    return std::nullopt;
  };
}

Apply DurationField(Duration* (*field)(Config&), Duration min) {
  return [field, min](const toml::node& node, Config& config) -> std::optional<std::string> {
    if (!node.is_string()) return Expect(node, "a duration string such as \"500ms\", \"30s\", \"5m\"");
    auto d = ParseDuration(node.as_string()->get());
    if (!d) return d.error().message;
    if (*d < min) return fmt::format("expected at least {}, got {}", FormatDuration(min), node.as_string()->get());
    *field(config) = *d;
    return std::nullopt;
  };
}

// A string naming one of a few values; refusals list the names: `"a" or "b"`, `"a", "b" or "c"`.
template <typename E>
Apply Choice(E* (*field)(Config&), std::vector<std::pair<std::string_view, E>> choices) {
  std::string allowed;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) allowed += i + 1 == choices.size() ? " or " : ", ";
    allowed += fmt::format("\"{}\"", choices[i].first);
  }
  return [field, choices = std::move(choices), allowed](const toml::node& node,
                                                        Config& config) -> std::optional<std::string> {
    if (!node.is_string()) return Expect(node, allowed);
    const std::string& value = node.as_string()->get();
    for (const auto& [name, choice] : choices) {
      if (value == name) {
        *field(config) = choice;
        return std::nullopt;
      }
    }
    return fmt::format("expected {}, got \"{}\"", allowed, value);
  };
}

// A list of strings, each checked; a repeated one is refused.
Apply StringList(std::vector<std::string>* (*field)(Config&), std::optional<std::string> (*check)(std::string_view)) {
  return [field, check](const toml::node& node, Config& config) -> std::optional<std::string> {
    if (!node.is_array()) return Expect(node, "an array of strings such as [\"deploy\", \"nobody\"]");
    std::vector<std::string> values;
    for (const toml::node& item : *node.as_array()) {
      if (!item.is_string()) return Expect(item, "an array of strings only");
      const std::string& value = item.as_string()->get();
      if (auto why = check(value)) return why;
      if (std::find(values.begin(), values.end(), value) != values.end()) {
        return fmt::format("\"{}\" is listed twice", value);
      }
      values.push_back(value);
    }
    *field(config) = std::move(values);
    return std::nullopt;
  };
}

// A table of string values: the agent's labels ({ env = "prod", rack = "r1" }).
Apply Labels(std::map<std::string, std::string>* (*field)(Config&)) {
  return [field](const toml::node& node, Config& config) -> std::optional<std::string> {
    if (!node.is_table()) return Expect(node, "a table of strings such as { env = \"prod\" }");
    std::map<std::string, std::string> labels;
    for (auto&& [key, value] : *node.as_table()) {
      if (auto why = CheckLabelKey(key.str())) return why;
      if (!value.is_string()) return Expect(value, fmt::format("a string for label \"{}\"", key.str()));
      if (value.as_string()->get().size() > 256) return fmt::format("label \"{}\": longer than 256 bytes", key.str());
      labels[std::string(key.str())] = value.as_string()->get();
    }
    if (labels.size() > 32) return fmt::format("expected at most 32 labels, got {}", labels.size());
    *field(config) = std::move(labels);
    return std::nullopt;
  };
}

// A table of strings, `{ NAME = "value", ... }`: environment variables. Names as a shell takes them.
Apply Environment(std::vector<std::pair<std::string, std::string>>* (*field)(Config&)) {
  return [field](const toml::node& node, Config& config) -> std::optional<std::string> {
    const std::string_view what = "a table of strings such as { HTTP_PROXY = \"http://proxy:3128\" }";
    if (!node.is_table()) return Expect(node, what);
    std::vector<std::pair<std::string, std::string>> entries;
    for (auto&& [key, value] : *node.as_table()) {
      const std::string_view name = key.str();
      const bool name_ok = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                           std::all_of(name.begin(), name.end(),
                                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
      if (!name_ok)
        return fmt::format("expected variable names of A-Z a-z 0-9 _ (not starting with a digit), got \"{}\"", name);
      if (!value.is_string()) return fmt::format("{}: expected a string, got {}", name, TomlTypeName(value));
      const std::string& text = value.as_string()->get();
      if (text.find('\0') != std::string::npos) return fmt::format("{}: the value contains a NUL character", name);
      entries.emplace_back(name, text);
    }
    *field(config) = std::move(entries);
    return std::nullopt;
  };
}

// A limit written as text ("512M", "50%") or, where `integers` allows, as a bare count; "max"
// (the default) leaves the field unset: no limit.
Apply Limit(std::optional<uint64_t>* (*field)(Config&), Result<uint64_t> (*parse)(std::string_view), bool integers) {
  return [field, parse, integers](const toml::node& node, Config& config) -> std::optional<std::string> {
    std::string text;
    if (integers && node.is_integer()) {
      text = std::to_string(node.as_integer()->get());
    } else if (node.is_string()) {
      text = node.as_string()->get();
    } else {
      return parse("").error().message;  // says what is allowed
    }
    auto value = parse(text);
    if (!value) return value.error().message;
    *field(config) = *value == kNoLimit ? std::nullopt : std::optional<uint64_t>(*value);
    return std::nullopt;
  };
}

std::optional<std::string> CheckGroupNameOrEmpty(std::string_view name) {
  const bool ok = name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
                  });
  if (ok) return std::nullopt;
  return fmt::format("expected a group name (up to 32 characters of A-Z a-z 0-9 _ - .) or \"\", got \"{}\"", name);
}

// In the file an empty name means "the host name", as documented in etc/slothd.toml.
std::optional<std::string> CheckAgentNameOrEmpty(std::string_view name) {
  return name.empty() ? std::nullopt : CheckAgentName(name);
}

const std::vector<FieldSpec>& Fields() {
  static const std::vector<FieldSpec> fields = {
      {"agent", "name", String([](Config& c) { return &c.agent.name; }, CheckAgentNameOrEmpty)},
      {"agent", "master", String([](Config& c) { return &c.agent.master; }, CheckMasterAddress)},
      {"agent", "state_dir", String([](Config& c) { return &c.agent.state_dir; }, CheckAbsolutePath)},
      {"agent", "control_socket", String([](Config& c) { return &c.agent.control_socket; }, CheckAbsolutePath)},
      {"agent", "master_ca", String([](Config& c) { return &c.agent.master_ca; }, CheckOptionalAbsolutePath)},
      {"agent", "master_cert", String([](Config& c) { return &c.agent.master_cert; }, CheckOptionalAbsolutePath)},
      {"agent", "master_key", String([](Config& c) { return &c.agent.master_key; }, CheckOptionalAbsolutePath)},
      {"agent", "master_server_name", String([](Config& c) { return &c.agent.master_server_name; })},
      {"agent", "master_insecure", Boolean([](Config& c) { return &c.agent.master_insecure; })},
      {"agent", "master_backoff_max",
       DurationField([](Config& c) { return &c.agent.master_backoff_max; }, std::chrono::seconds(1))},
      {"agent", "labels", Labels([](Config& c) { return &c.agent.labels; })},
      {"master", "address", String([](Config& c) { return &c.master.address; }, CheckListenAddress)},
      {"master", "port", Integer<uint16_t>([](Config& c) { return &c.master.port; }, 0, 65535)},
      {"master", "cert", String([](Config& c) { return &c.master.cert; }, CheckOptionalAbsolutePath)},
      {"master", "key", String([](Config& c) { return &c.master.key; }, CheckOptionalAbsolutePath)},
      {"master", "client_ca", String([](Config& c) { return &c.master.client_ca; }, CheckOptionalAbsolutePath)},
      {"master", "insecure", Boolean([](Config& c) { return &c.master.insecure; })},
      {"master", "operators", StringList([](Config& c) { return &c.master.operators; }, CheckAgentName)},
      {"master", "tokens_file", String([](Config& c) { return &c.master.tokens_file; }, CheckOptionalAbsolutePath)},
      {"master", "state_dir", String([](Config& c) { return &c.master.state_dir; }, CheckAbsolutePath)},
      {"master", "heartbeat_interval",
       DurationField([](Config& c) { return &c.master.heartbeat_interval; }, std::chrono::milliseconds(100))},
      {"master", "missed_heartbeats", Integer<uint32_t>([](Config& c) { return &c.master.missed_heartbeats; }, 1, 100)},
      {"agent", "control_group", String([](Config& c) { return &c.agent.control_group; }, CheckGroupNameOrEmpty)},
      {"telemetry", "enabled", Boolean([](Config& c) { return &c.telemetry.enabled; })},
      {"telemetry", "address", String([](Config& c) { return &c.telemetry.address; }, CheckListenAddress)},
      {"telemetry", "port", Integer<uint16_t>([](Config& c) { return &c.telemetry.port; }, 0, 65535)},
      {"telemetry", "advertise_address", String([](Config& c) { return &c.telemetry.advertise_address; })},
      {"telemetry", "max_connections",
       Integer<uint32_t>([](Config& c) { return &c.telemetry.max_connections; }, 1, 65536)},
      {"telemetry", "max_connections_per_ip",
       Integer<uint32_t>([](Config& c) { return &c.telemetry.max_connections_per_ip; }, 1, 65536)},
      {"telemetry", "connection_timeout",
       DurationField([](Config& c) { return &c.telemetry.connection_timeout; }, std::chrono::seconds(1))},
      {"telemetry", "request_timeout",
       DurationField([](Config& c) { return &c.telemetry.request_timeout; }, std::chrono::milliseconds(100))},
      {"telemetry", "max_header_bytes",
       Integer<uint32_t>([](Config& c) { return &c.telemetry.max_header_bytes; }, 1024, 1 << 20)},
      {"telemetry", "threads", Integer<uint32_t>([](Config& c) { return &c.telemetry.threads; }, 1, 64)},
      {"telemetry", "max_label_values",
       Integer<uint32_t>([](Config& c) { return &c.telemetry.max_label_values; }, 1, 100000)},
      {"telemetry", "max_task_series",
       Integer<uint32_t>([](Config& c) { return &c.telemetry.max_task_series; }, 1, 100000)},
      {"telemetry", "web_config", String([](Config& c) { return &c.telemetry.web_config; }, CheckOptionalAbsolutePath)},
      {"telemetry", "health_without_auth", Boolean([](Config& c) { return &c.telemetry.health_without_auth; })},
      {"tasks", "max_concurrent", Integer<uint32_t>([](Config& c) { return &c.tasks.max_concurrent; }, 1, 4096)},
      {"tasks", "max_queued", Integer<uint32_t>([](Config& c) { return &c.tasks.max_queued; }, 0, 100000)},
      {"tasks", "default_timeout",
       DurationField([](Config& c) { return &c.tasks.default_timeout; }, std::chrono::milliseconds(1))},
      {"tasks", "kill_grace", DurationField([](Config& c) { return &c.tasks.kill_grace; }, Duration::zero())},
      {"tasks", "max_output_bytes",
       Integer<uint64_t>([](Config& c) { return &c.tasks.max_output_bytes; }, 0, int64_t{1} << 32)},
      {"tasks", "workdir", String([](Config& c) { return &c.tasks.workdir; }, CheckAbsolutePath)},
      {"tasks", "environment", Environment([](Config& c) { return &c.tasks.environment; })},
      {"tasks", "history", Integer<uint32_t>([](Config& c) { return &c.tasks.history; }, 0, 100000)},
      {"tasks", "on_stop",
       Choice<TaskStopPolicy>([](Config& c) { return &c.tasks.on_stop; },
                              {{"cancel", TaskStopPolicy::kCancel}, {"drain", TaskStopPolicy::kDrain}})},
      {"tasks", "drain_timeout", DurationField([](Config& c) { return &c.tasks.drain_timeout; }, Duration::zero())},
      {"workflows", "max_parallel", Integer<uint32_t>([](Config& c) { return &c.workflows.max_parallel; }, 1, 4096)},
      {"workflows", "history", Integer<uint32_t>([](Config& c) { return &c.workflows.history; }, 0, 10000)},
      {"tasks", "isolation",
       Choice<TaskIsolation>(
           [](Config& c) { return &c.tasks.isolation; },
           {{"auto", TaskIsolation::kAuto}, {"unit", TaskIsolation::kUnit}, {"process", TaskIsolation::kProcess}})},
      {"tasks", "user", String([](Config& c) { return &c.tasks.user; }, CheckUserName)},
      {"tasks", "allowed_users", StringList([](Config& c) { return &c.tasks.allowed_users; }, CheckUserName)},
      {"tasks", "memory_max", Limit([](Config& c) { return &c.tasks.limits.memory_max; }, ParseMemoryMax, false)},
      {"tasks", "cpu_quota", Limit([](Config& c) { return &c.tasks.limits.cpu_quota; }, ParseCpuQuota, false)},
      {"tasks", "tasks_max", Limit([](Config& c) { return &c.tasks.limits.tasks_max; }, ParseTasksMax, true)},
      {"tasks", "launcher_socket", String([](Config& c) { return &c.tasks.launcher_socket; }, CheckAbsolutePath)},
      {"log", "target",
       Choice<LogTarget>(
           [](Config& c) { return &c.log.target; },
           {{"auto", LogTarget::kAuto}, {"console", LogTarget::kConsole}, {"journal", LogTarget::kJournal}})},
      {"log", "level",
       [](const toml::node& node,
          Config& config) -> std::
                              optional<std::string> {
                                const std::string_view allowed =
                                    "one of \"error\", \"warning\", \"notice\", \"info\", \"debug\"";
                                if (!node.is_string()) return Expect(node, allowed);
                                if (!ParseLogLevel(node.as_string()->get(), &config.log.level)) {
                                  return fmt::format("expected {}, got \"{}\"", allowed, node.as_string()->get());
                                }
                                return std::nullopt;
                              }},
  };
  return fields;
}

// Which role reads a section; [telemetry] and [log] are read by both.
bool SectionFor(std::string_view section, Role role) {
  if (section == "master") return role == Role::kMaster;
  if (section == "agent" || section == "tasks" || section == "workflows") return role == Role::kAgent;
  return true;
}

std::string AllowedKeys(std::string_view section) {
  std::string out;
  for (const FieldSpec& f : Fields()) {
    if (f.section != section) continue;
    if (!out.empty()) out += ", ";
    out += f.key;
  }
  return out;
}

std::string AllowedSections(Role role) {
  std::vector<std::string_view> sections;
  for (const FieldSpec& f : Fields()) {
    if (!SectionFor(f.section, role)) continue;
    if (std::find(sections.begin(), sections.end(), f.section) == sections.end()) sections.push_back(f.section);
  }
  std::string out;
  for (auto s : sections) out += (out.empty() ? "[" : ", [") + std::string(s) + "]";
  return out;
}

ConfigError ErrorAt(std::string_view source, const toml::source_region& where, std::string key, std::string message) {
  return ConfigError{std::string(source), where.begin.line, where.begin.column, std::move(key), std::move(message)};
}

}  // namespace

Config DefaultConfig(Role role) {
  Config config;
  config.role = role;
  if (role == Role::kMaster) config.telemetry.port = 50054;
  return config;
}

std::optional<ConfigError> CheckFleetCredentials(const Config& config, std::string_view source) {
  auto missing = [&](std::string key, std::string_view what) {
    return ConfigError{
        std::string(source), 0, 0, std::move(key),
        fmt::format("{}; the fleet's TCP connections use mutual TLS (doc/fleet.md makes a CA and "
                    "certificates with openssl). Without credentials, write {} = true",
                    what, config.role == Role::kMaster ? "[master] insecure" : "[agent] master_insecure")};
  };
  if (config.role == Role::kMaster) {
    if (config.master.insecure) return std::nullopt;
    if (config.master.cert.empty()) return missing("master.cert", "the master's certificate (PEM) is not set");
    if (config.master.key.empty()) return missing("master.key", "the master's private key (PEM) is not set");
    if (config.master.client_ca.empty()) {
      return missing("master.client_ca", "the CA that signed agents' and operators' certificates is not set");
    }
    return std::nullopt;
  }
  if (config.agent.master.empty() || config.agent.master_insecure) return std::nullopt;
  if (config.agent.master_ca.empty()) {
    return missing("agent.master_ca", "the CA that signed the master's certificate is not set");
  }
  if (config.agent.master_cert.empty()) {
    return missing("agent.master_cert", "the agent's certificate (its CN or a DNS SAN names it) is not set");
  }
  if (config.agent.master_key.empty()) return missing("agent.master_key", "the agent's private key is not set");
  return std::nullopt;
}

std::string ConfigError::ToString() const {
  std::string out = source;
  if (line > 0) out += fmt::format(":{}:{}", line, column);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

ConfigResult ParseConfig(std::string_view text, std::string_view source, const Config& base) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return ErrorAt(source, e.source(), "", fmt::format("TOML syntax error: {}", e.description()));
  }
  Config config = base;
  for (auto&& [section_key, section_node] : root) {
    const std::string section(section_key.str());
    bool known =
        std::any_of(Fields().begin(), Fields().end(), [&](const FieldSpec& f) { return f.section == section; });
    if (!known) {
      return ErrorAt(source, section_key.source(), section,
                     fmt::format("unknown section (allowed: {})", AllowedSections(config.role)));
    }
    if (!SectionFor(section, config.role)) {
      return ErrorAt(
          source, section_key.source(), section,
          config.role == Role::kMaster
              ? fmt::format("[{}] is an agent's section; the master reads {}", section, AllowedSections(config.role))
              : fmt::format("[master] is read by slothd --role master, from its own file ({}); an "
                            "agent reads {}",
                            kDefaultMasterConfigPath, AllowedSections(config.role)));
    }
    if (!section_node.is_table()) {
      return ErrorAt(source, section_node.source(), section,
                     fmt::format("expected a table [{}], got {}", section, TomlTypeName(section_node)));
    }
    for (auto&& [key, node] : *section_node.as_table()) {
      const std::string full_key = fmt::format("{}.{}", section, key.str());
      auto spec = std::find_if(Fields().begin(), Fields().end(), [&, name = key.str()](const FieldSpec& f) {
        return f.section == section && f.key == name;
      });
      if (spec == Fields().end()) {
        return ErrorAt(source, key.source(), full_key,
                       fmt::format("unknown key (allowed in [{}]: {})", section, AllowedKeys(section)));
      }
      if (auto why = spec->apply(node, config)) {
        return ErrorAt(source, node.source(), full_key, *why);
      }
    }
  }
  return config;
}

std::optional<std::string> CheckAgentName(std::string_view name) {
  const bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
  if (ok) return std::nullopt;
  return fmt::format("expected 1 to 64 characters of A-Z a-z 0-9 . _ -, got \"{}\"", name);
}

std::optional<std::string> CheckMasterAddress(std::string_view host_port) {
  if (host_port.empty()) return std::nullopt;  // standalone
  const auto colon = host_port.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == host_port.size()) {
    return fmt::format("expected host:port (e.g. \"master.example:50053\"), got \"{}\"", host_port);
  }
  const std::string_view port = host_port.substr(colon + 1);
  int value = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || (value = value * 10 + (c - '0')) > 65535) {
      return fmt::format("expected a port from 1 to 65535 after ':', got \"{}\"", port);
    }
  }
  if (value == 0) return fmt::format("expected a port from 1 to 65535 after ':', got \"{}\"", port);
  return std::nullopt;
}

std::optional<std::string> CheckListenAddress(std::string_view address) {
  const std::string text(address);
  unsigned char buf[sizeof(struct in6_addr)];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1) return std::nullopt;
  return fmt::format("expected an IPv4 or IPv6 address such as \"0.0.0.0\", \"127.0.0.1\" or \"::\", got \"{}\"",
                     address);
}

std::optional<std::string> CheckAbsolutePath(std::string_view path) {
  if (!path.empty() && path.front() == '/') return std::nullopt;
  return fmt::format("expected an absolute path, got \"{}\"", path);
}

std::optional<std::string> CheckLabelKey(std::string_view key) {
  const bool ok = !key.empty() && key.size() <= 64 && !(key[0] >= '0' && key[0] <= '9') &&
                  key.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
                      std::string_view::npos;
  if (ok) return std::nullopt;
  return fmt::format("label \"{}\": expected 1 to 64 characters of A-Z a-z 0-9 _, not starting with a digit", key);
}

std::optional<std::string> CheckUserName(std::string_view name) {
  std::string_view body = name;
  if (!body.empty() && body.back() == '$') body.remove_suffix(1);
  const bool ok =
      !body.empty() && name.size() <= 32 && body.front() != '-' && std::all_of(body.begin(), body.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
      });
  if (ok) return std::nullopt;
  return fmt::format(
      "expected a user name of 1 to 32 characters of a-z A-Z 0-9 _ - . (not starting with '-'), got \"{}\"", name);
}

std::optional<std::string> CheckOptionalAbsolutePath(std::string_view path) {
  return path.empty() ? std::nullopt : CheckAbsolutePath(path);
}

std::string FormatConfig(const Config& c) {
  // A JSON string literal is a valid TOML basic string ("..." with the same escapes).
  auto quoted = [](std::string_view s) { return nlohmann::json(std::string(s)).dump(); };
  std::string out;
  if (c.role == Role::kMaster) {
    out += "[master]\n";
    out += fmt::format("address = {}\n", quoted(c.master.address));
    out += fmt::format("port = {}\n", c.master.port);
    out += fmt::format("cert = {}\n", quoted(c.master.cert));
    out += fmt::format("key = {}\n", quoted(c.master.key));
    out += fmt::format("client_ca = {}\n", quoted(c.master.client_ca));
    out += fmt::format("insecure = {}\n", c.master.insecure);
    out += "operators = [";
    for (size_t i = 0; i < c.master.operators.size(); ++i) out += (i ? ", " : "") + quoted(c.master.operators[i]);
    out += "]\n";
    out += fmt::format("tokens_file = {}\n", quoted(c.master.tokens_file));
    out += fmt::format("state_dir = {}\n", quoted(c.master.state_dir));
    out += fmt::format("heartbeat_interval = \"{}\"\n", FormatDuration(c.master.heartbeat_interval));
    out += fmt::format("missed_heartbeats = {}\n", c.master.missed_heartbeats);
  } else {
    out += "[agent]\n";
    out += fmt::format("name = {}\n", quoted(c.agent.name));
    out += fmt::format("master = {}\n", quoted(c.agent.master));
    out += fmt::format("state_dir = {}\n", quoted(c.agent.state_dir));
    out += fmt::format("control_socket = {}\n", quoted(c.agent.control_socket));
    out += fmt::format("control_group = {}\n", quoted(c.agent.control_group));
    out += fmt::format("master_ca = {}\n", quoted(c.agent.master_ca));
    out += fmt::format("master_cert = {}\n", quoted(c.agent.master_cert));
    out += fmt::format("master_key = {}\n", quoted(c.agent.master_key));
    out += fmt::format("master_server_name = {}\n", quoted(c.agent.master_server_name));
    out += fmt::format("master_insecure = {}\n", c.agent.master_insecure);
    out += fmt::format("master_backoff_max = \"{}\"\n", FormatDuration(c.agent.master_backoff_max));
    out += "labels = {";
    for (auto it = c.agent.labels.begin(); it != c.agent.labels.end(); ++it) {
      out += fmt::format("{} {} = {}", it == c.agent.labels.begin() ? "" : ",", it->first, quoted(it->second));
    }
    out += c.agent.labels.empty() ? "}\n" : " }\n";
  }
  out += "\n[telemetry]\n";
  out += fmt::format("enabled = {}\n", c.telemetry.enabled);
  out += fmt::format("address = {}\n", quoted(c.telemetry.address));
  out += fmt::format("port = {}\n", c.telemetry.port);
  out += fmt::format("advertise_address = {}\n", quoted(c.telemetry.advertise_address));
  out += fmt::format("max_connections = {}\n", c.telemetry.max_connections);
  out += fmt::format("max_connections_per_ip = {}\n", c.telemetry.max_connections_per_ip);
  out += fmt::format("connection_timeout = \"{}\"\n", FormatDuration(c.telemetry.connection_timeout));
  out += fmt::format("request_timeout = \"{}\"\n", FormatDuration(c.telemetry.request_timeout));
  out += fmt::format("max_header_bytes = {}\n", c.telemetry.max_header_bytes);
  out += fmt::format("threads = {}\n", c.telemetry.threads);
  out += fmt::format("max_label_values = {}\n", c.telemetry.max_label_values);
  out += fmt::format("max_task_series = {}\n", c.telemetry.max_task_series);
  out += fmt::format("web_config = {}\n", quoted(c.telemetry.web_config));
  out += fmt::format("health_without_auth = {}\n", c.telemetry.health_without_auth);
  if (c.role == Role::kAgent) {
    out += "\n[tasks]\n";
    out += fmt::format("max_concurrent = {}\n", c.tasks.max_concurrent);
    out += fmt::format("max_queued = {}\n", c.tasks.max_queued);
    out += fmt::format("default_timeout = \"{}\"\n", FormatDuration(c.tasks.default_timeout));
    out += fmt::format("kill_grace = \"{}\"\n", FormatDuration(c.tasks.kill_grace));
    out += fmt::format("max_output_bytes = {}\n", c.tasks.max_output_bytes);
    out += fmt::format("workdir = {}\n", quoted(c.tasks.workdir));
    std::string environment;
    for (const auto& [name, value] : c.tasks.environment) {
      environment += fmt::format("{}{} = {}", environment.empty() ? " " : ", ", name, quoted(value));
    }
    out += fmt::format("environment = {{{}{}}}\n", environment, environment.empty() ? "" : " ");
    out += fmt::format("history = {}\n", c.tasks.history);
    out += fmt::format("on_stop = \"{}\"\n", c.tasks.on_stop == TaskStopPolicy::kDrain ? "drain" : "cancel");
    out += fmt::format("drain_timeout = \"{}\"\n", FormatDuration(c.tasks.drain_timeout));
    out += fmt::format("isolation = \"{}\"\n", c.tasks.isolation == TaskIsolation::kUnit      ? "unit"
                                               : c.tasks.isolation == TaskIsolation::kProcess ? "process"
                                                                                              : "auto");
    out += fmt::format("user = {}\n", quoted(c.tasks.user));
    std::vector<std::string> users;
    for (const std::string& u : c.tasks.allowed_users) users.push_back(quoted(u));
    out += fmt::format("allowed_users = [{}]\n", fmt::join(users, ", "));
    const TaskLimits& limits = c.tasks.limits;
    out += fmt::format("memory_max = \"{}\"\n", FormatMemorySize(limits.memory_max.value_or(kNoLimit)));
    out += fmt::format("cpu_quota = \"{}\"\n", FormatCpuQuota(limits.cpu_quota.value_or(kNoLimit)));
    out += limits.tasks_max ? fmt::format("tasks_max = {}\n", *limits.tasks_max) : "tasks_max = \"max\"\n";
    out += fmt::format("launcher_socket = {}\n", quoted(c.tasks.launcher_socket));
    out += "\n[workflows]\n";
    out += fmt::format("max_parallel = {}\n", c.workflows.max_parallel);
    out += fmt::format("history = {}\n", c.workflows.history);
  }
  out += "\n[log]\n";
  out += fmt::format("level = \"{}\"\n", LogLevelName(c.log.level));
  out += fmt::format("target = \"{}\"\n", c.log.target == LogTarget::kJournal   ? "journal"
                                          : c.log.target == LogTarget::kConsole ? "console"
                                                                                : "auto");
  return out;
}

}  // namespace sloth
