#include "daemon/core/workflows/workflow_file.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "daemon/core/workflows/toml_reading.h"

namespace sloth {
namespace {

using toml_reading::InFileOrder;
using toml_reading::PositionOf;

constexpr std::string_view kTopKeys[] = {"name", "values", "groups"};
constexpr std::string_view kGroupKeys[] = {"parallel", "depends_on", "tasks"};
constexpr std::string_view kTaskKeys[] = {"command",    "depends_on", "timeout",   "workdir", "env",     "user",
                                          "memory_max", "cpu_quota",  "tasks_max", "when",    "retries", "retry_delay"};

constexpr uint32_t kMaxParallel = 4096;
constexpr Duration kMaxRetryDelay = std::chrono::hours(24);

template <size_t N>
std::string Allowed(const std::string_view (&keys)[N]) {
  std::string out;
  for (std::string_view key : keys) out += (out.empty() ? "" : ", ") + std::string(key);
  return out;
}

bool IsEnvName(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// "deploy" from "examples/deploy.toml".
std::string NameFromSource(std::string_view source) {
  std::string_view base =
      source.substr(source.find_last_of('/') == std::string_view::npos ? 0 : source.find_last_of('/') + 1);
  if (const size_t dot = base.rfind('.'); dot != std::string_view::npos && dot > 0) base = base.substr(0, dot);
  return base.empty() ? "workflow" : std::string(base);
}

// Reads one document into a WorkflowFile; each Read* checks its table's keys and types.
class FileReader {
 public:
  FileReader(std::string_view text, std::string_view source) : source_text_(text), source_(source) {}

  Result<WorkflowFile, WorkflowError> Read(const toml::table& document) {
    WorkflowFile file;
    file.source = std::string(source_);
    file.name = NameFromSource(source_);
    const toml::node* groups = nullptr;
    for (const auto& [key, node] : InFileOrder(document)) {
      if (key->str() == "name") {
        auto name = String(*node, "name");
        if (!name) return name.error();
        if (name->value.empty() || name->value.size() > 128 ||
            std::any_of(name->value.begin(), name->value.end(), [](char c) { return c >= 0 && c < 0x20; })) {
          return Error(name->at, "name: expected 1 to 128 characters without control characters");
        }
        file.name = name->value;
      } else if (key->str() == "values") {
        if (!node->is_table())
          return Error(*node, fmt::format("values: expected a table, got {}", TomlTypeName(*node)));
        if (auto merged = toml_reading::MergeValuesTable(*node->as_table(), source_, "", &file.defaults); !merged) {
          return merged.error();
        }
      } else if (key->str() == "groups") {
        groups = node;
      } else {
        return UnknownKey(*key, "", kTopKeys);
      }
    }
    if (groups == nullptr || !groups->is_table() || groups->as_table()->empty()) {
      return Error(groups == nullptr ? SourcePosition{1, 1} : PositionOf(groups->source().begin),
                   "groups: a workflow needs at least one group with tasks ([groups.NAME.tasks.TASK] with a command)");
    }
    for (const auto& [key, node] : InFileOrder(*groups->as_table())) {
      auto group = ReadGroup(*key, *node);
      if (!group) return group.error();
      file.groups.push_back(std::move(*group));
    }
    return file;
  }

 private:
  WorkflowError Error(SourcePosition at, std::string message) const {
    return WorkflowError{std::string(source_), at, std::move(message)};
  }
  WorkflowError Error(const toml::node& node, std::string message) const {
    return Error(PositionOf(node.source().begin), std::move(message));
  }

  template <size_t N>
  WorkflowError UnknownKey(const toml::key& key, std::string_view path, const std::string_view (&allowed)[N]) const {
    return Error(PositionOf(key.source().begin),
                 fmt::format("{}{}: unknown key (allowed: {})", path, key.str(), Allowed(allowed)));
  }

  Result<LocatedString, WorkflowError> String(const toml::node& node, const std::string& path) const {
    if (!node.is_string()) return Error(node, fmt::format("{}: expected a string, got {}", path, TomlTypeName(node)));
    return source_text_.Located(node);
  }

  Result<Duration, WorkflowError> DurationValue(const toml::node& node, const std::string& path, Duration min,
                                                Duration max) const {
    if (!node.is_string()) {
      return Error(node,
                   fmt::format("{}: expected a duration such as \"30s\" or \"10m\", got {}", path, TomlTypeName(node)));
    }
    auto d = ParseDuration(node.as_string()->get());
    if (!d) return Error(node, fmt::format("{}: {}", path, d.error().message));
    if (*d < min || *d > max) {
      return Error(node, fmt::format("{}: expected from {} to {}, got {}", path, FormatDuration(min),
                                     FormatDuration(max), node.as_string()->get()));
    }
    return *d;
  }

  Result<uint32_t, WorkflowError> Integer(const toml::node& node, const std::string& path, int64_t min,
                                          int64_t max) const {
    if (!node.is_integer() || node.as_integer()->get() < min || node.as_integer()->get() > max) {
      return Error(node, fmt::format("{}: expected an integer from {} to {}, got {}", path, min, max,
                                     node.is_integer() ? std::to_string(node.as_integer()->get())
                                                       : std::string(TomlTypeName(node))));
    }
    return static_cast<uint32_t>(node.as_integer()->get());
  }

  // A limit as the configuration writes it ("512M", "150%", "max"); tasks_max also as an integer.
  Result<uint64_t, WorkflowError> Limit(const toml::node& node, const std::string& path,
                                        Result<uint64_t> (*parse)(std::string_view), bool integers) const {
    std::string text;
    if (integers && node.is_integer()) {
      text = std::to_string(node.as_integer()->get());
    } else if (node.is_string()) {
      text = node.as_string()->get();
    }
    auto value = parse(text);
    if (!value) return Error(node, fmt::format("{}: {}", path, value.error().message));
    return *value;
  }

  Result<std::vector<LocatedString>, WorkflowError> Names(const toml::node& node, const std::string& path) const {
    const toml::array* array = node.as_array();
    if (array == nullptr) {
      return Error(node,
                   fmt::format("{}: expected an array of names such as [\"build\"], got {}", path, TomlTypeName(node)));
    }
    std::vector<LocatedString> names;
    for (const toml::node& element : *array) {
      auto name = String(element, path);
      if (!name) return name.error();
      for (const LocatedString& earlier : names) {
        if (earlier.value == name->value)
          return Error(name->at, fmt::format("{}: '{}' is listed twice", path, name->value));
      }
      names.push_back(std::move(*name));
    }
    return names;
  }

  Result<LocatedString, WorkflowError> Name(const toml::key& key, std::string_view what) const {
    LocatedString name = source_text_.Located(key);
    if (!IsWorkflowName(name.value)) {
      return Error(name.at, fmt::format("{} name '{}': use 1 to 64 letters, digits, '_' and '-'", what, name.value));
    }
    return name;
  }

  Result<FileGroup, WorkflowError> ReadGroup(const toml::key& key, const toml::node& node) {
    FileGroup group;
    auto name = Name(key, "group");
    if (!name) return name.error();
    group.name = std::move(*name);
    const std::string path = "groups." + group.name.value;
    if (!node.is_table()) return Error(node, fmt::format("{}: expected a table, got {}", path, TomlTypeName(node)));
    const toml::node* tasks = nullptr;
    for (const auto& [k, v] : InFileOrder(*node.as_table())) {
      const std::string field = path + "." + std::string(k->str());
      if (k->str() == "parallel") {
        auto parallel = Integer(*v, field, 1, kMaxParallel);
        if (!parallel) return parallel.error();
        group.parallel = *parallel;
      } else if (k->str() == "depends_on") {
        auto names = Names(*v, field);
        if (!names) return names.error();
        group.depends_on = std::move(*names);
      } else if (k->str() == "tasks") {
        tasks = v;
      } else {
        return UnknownKey(*k, path + ".", kGroupKeys);
      }
    }
    if (tasks == nullptr || !tasks->is_table() || tasks->as_table()->empty()) {
      return Error(group.name.at,
                   fmt::format("{}: a group needs at least one task ([{}.tasks.NAME] with a command)", path, path));
    }
    for (const auto& [k, v] : InFileOrder(*tasks->as_table())) {
      if (++task_count_ > kMaxWorkflowTasks) {
        return Error(PositionOf(k->source().begin),
                     fmt::format("more than {} tasks in one workflow", kMaxWorkflowTasks));
      }
      auto task = ReadTask(path + ".tasks.", *k, *v);
      if (!task) return task.error();
      group.tasks.push_back(std::move(*task));
    }
    return group;
  }

  Result<FileTask, WorkflowError> ReadTask(const std::string& prefix, const toml::key& key, const toml::node& node) {
    FileTask task;
    auto name = Name(key, "task");
    if (!name) return name.error();
    task.name = std::move(*name);
    const std::string path = prefix + task.name.value;
    if (!node.is_table()) return Error(node, fmt::format("{}: expected a table, got {}", path, TomlTypeName(node)));
    bool has_command = false;
    for (const auto& [k, v] : InFileOrder(*node.as_table())) {
      const std::string field = path + "." + std::string(k->str());
      Result<void, WorkflowError> read;
      if (k->str() == "command") {
        read = Assign(String(*v, field), task.command);
        has_command = read.ok();
        if (read && task.command.value.find_first_not_of(" \t\n") == std::string::npos) {
          return Error(task.command.at, fmt::format("{}: empty: give the shell command to run", field));
        }
      } else if (k->str() == "depends_on") {
        read = Assign(Names(*v, field), task.depends_on);
      } else if (k->str() == "timeout") {
        read = AssignOptional(DurationValue(*v, field, std::chrono::milliseconds(1), std::chrono::hours(24 * 365)),
                              task.timeout);
      } else if (k->str() == "workdir") {
        read = AssignOptional(String(*v, field), task.workdir);
      } else if (k->str() == "env") {
        read = ReadEnv(*v, field, &task.env);
      } else if (k->str() == "user") {
        read = AssignOptional(String(*v, field), task.user);
      } else if (k->str() == "memory_max") {
        read = AssignOptional(Limit(*v, field, ParseMemoryMax, false), task.limits.memory_max);
      } else if (k->str() == "cpu_quota") {
        read = AssignOptional(Limit(*v, field, ParseCpuQuota, false), task.limits.cpu_quota);
      } else if (k->str() == "tasks_max") {
        read = AssignOptional(Limit(*v, field, ParseTasksMax, true), task.limits.tasks_max);
      } else if (k->str() == "when") {
        read = AssignOptional(String(*v, field), task.when);
      } else if (k->str() == "retries") {
        read = Assign(Integer(*v, field, 0, kMaxTaskRetries), task.retries);
      } else if (k->str() == "retry_delay") {
        read = Assign(DurationValue(*v, field, Duration::zero(), kMaxRetryDelay), task.retry_delay);
      } else {
        return UnknownKey(*k, path + ".", kTaskKeys);
      }
      if (!read) return read.error();
    }
    if (!has_command) {
      return Error(task.name.at, fmt::format("{}: no command (add command = \"...\", run as /bin/sh -c)", path));
    }
    return task;
  }

  Result<void, WorkflowError> ReadEnv(const toml::node& node, const std::string& path,
                                      std::vector<std::pair<std::string, LocatedString>>* env) const {
    if (!node.is_table()) {
      return Error(
          node, fmt::format("{}: expected a table such as {{ NAME = \"value\" }}, got {}", path, TomlTypeName(node)));
    }
    for (const auto& [k, v] : InFileOrder(*node.as_table())) {
      if (!IsEnvName(k->str())) {
        return Error(
            PositionOf(k->source().begin),
            fmt::format("{}: '{}' is not an environment variable name (letters, digits, '_')", path, k->str()));
      }
      auto value = String(*v, path + "." + std::string(k->str()));
      if (!value) return value.error();
      env->emplace_back(std::string(k->str()), std::move(*value));
    }
    return {};
  }

  template <typename T, typename U>
  static Result<void, WorkflowError> Assign(Result<T, WorkflowError> read, U& into) {
    if (!read) return read.error();
    into = std::move(*read);
    return {};
  }
  template <typename T>
  static Result<void, WorkflowError> AssignOptional(Result<T, WorkflowError> read, std::optional<T>& into) {
    if (!read) return read.error();
    into = std::move(*read);
    return {};
  }

  toml_reading::SourceText source_text_;
  std::string_view source_;
  size_t task_count_ = 0;
};

}  // namespace

bool IsWorkflowName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

Result<WorkflowFile, WorkflowError> ParseWorkflowFile(std::string_view text, std::string_view source) {
  if (text.size() > kMaxWorkflowFileBytes) {
    return WorkflowError{
        std::string(source),
        {},
        fmt::format("workflow file is {} bytes; at most {} are read", text.size(), kMaxWorkflowFileBytes)};
  }
  auto document = toml_reading::Parse(text, source);
  if (!document) return document.error();
  return FileReader(text, source).Read(*document);
}

}  // namespace sloth
