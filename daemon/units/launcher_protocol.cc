#include "daemon/units/launcher_protocol.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

namespace sloth {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kUnitPrefix = "sloth-task-";
constexpr std::string_view kUnitSuffix = ".service";
// The longest stop grace a request may ask for; the configuration allows far less in practice.
constexpr uint64_t kMaxKillGraceUsec = uint64_t{3600} * 1000000;

uint64_t Usec(Duration d) {
  return d <= Duration::zero()
             ? 0
             : static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

bool ValidEnvName(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool HasNul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

// Reads a string member; a missing or non-string member, or one with a NUL, is refused.
Result<std::string> Text(const Json& object, const char* key, bool required = true) {
  auto it = object.find(key);
  if (it == object.end()) {
    if (!required) return std::string();
    return Failure{fmt::format("\"{}\" is missing", key)};
  }
  if (!it->is_string()) return Failure{fmt::format("\"{}\" must be a string", key)};
  std::string value = it->get<std::string>();
  if (HasNul(value)) return Failure{fmt::format("\"{}\" contains a NUL byte", key)};
  return value;
}

Result<std::optional<uint64_t>> Count(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return std::optional<uint64_t>();
  if (!it->is_number_unsigned()) return Failure{fmt::format("\"{}\" must be a non-negative integer", key)};
  return std::optional<uint64_t>(it->get<uint64_t>());
}

Result<std::string> Dump(const Json& object) {
  try {
    std::string text = object.dump();
    if (text.size() > kLauncherMaxMessage) {
      return Failure{
          fmt::format("the task is too large for unit mode: {} bytes of command and environment, "
                      "at most {} KiB",
                      text.size(), kLauncherMaxMessage / 1024)};
    }
    return text;
  } catch (const Json::exception&) {
    return Failure{"unit mode needs the command, environment and names as valid UTF-8 (they travel as D-Bus strings)"};
  }
}

Result<LauncherRequest> DecodeStart(const Json& json) {
  LauncherRequest request;
  UnitStart& start = request.start;
  for (auto [key, field] : {std::pair{"unit", &start.unit}, std::pair{"command", &start.command},
                            std::pair{"user", &start.user}, std::pair{"workdir", &start.workdir}}) {
    auto value = Text(json, key);
    if (!value) return value.error();
    *field = std::move(value).value();
  }
  for (auto [key, field] : {std::pair{"agent", &start.agent}, std::pair{"task_id", &start.task_id},
                            std::pair{"task_name", &start.task_name}, std::pair{"group", &start.group}}) {
    auto value = Text(json, key, /*required=*/false);
    if (!value) return value.error();
    *field = std::move(value).value();
  }
  if (!IsTaskUnitName(start.unit)) return Failure{fmt::format("\"{}\" is not the name of a task unit", start.unit)};
  if (start.command.empty()) return Failure{"the command is empty"};
  if (start.workdir.empty() || start.workdir.front() != '/') {
    return Failure{fmt::format("the working directory must be an absolute path, got \"{}\"", start.workdir)};
  }
  if (auto env = json.find("env"); env != json.end()) {
    if (!env->is_array()) return Failure{"\"env\" must be an array of [name, value] pairs"};
    for (const Json& pair : *env) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
        return Failure{"\"env\" must be an array of [name, value] pairs"};
      }
      std::string name = pair[0].get<std::string>(), value = pair[1].get<std::string>();
      if (!ValidEnvName(name)) return Failure{fmt::format("\"{}\" is not a valid environment variable name", name)};
      if (HasNul(value)) return Failure{fmt::format("environment variable {} contains a NUL byte", name)};
      start.env.emplace_back(std::move(name), std::move(value));
    }
  }
  for (auto [key, field] :
       {std::pair{"memory_max", &start.limits.memory_max}, std::pair{"cpu_quota", &start.limits.cpu_quota},
        std::pair{"tasks_max", &start.limits.tasks_max}}) {
    auto value = Count(json, key);
    if (!value) return value.error();
    *field = *value;
  }
  auto grace = Count(json, "kill_grace_usec");
  auto runtime = Count(json, "runtime_max_usec");
  if (!grace) return grace.error();
  if (!runtime) return runtime.error();
  if (grace->value_or(0) > kMaxKillGraceUsec) return Failure{"\"kill_grace_usec\" is above one hour"};
  start.kill_grace = std::chrono::microseconds(grace->value_or(0));
  start.runtime_max = std::chrono::microseconds(std::min<uint64_t>(runtime->value_or(0), INT64_MAX / 1000));
  return request;
}

}  // namespace

bool IsTaskUnitName(std::string_view unit) {
  if (!unit.starts_with(kUnitPrefix) || !unit.ends_with(kUnitSuffix)) return false;
  const std::string_view id = unit.substr(kUnitPrefix.size(), unit.size() - kUnitPrefix.size() - kUnitSuffix.size());
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

Result<std::string> EncodeStartRequest(const UnitStart& start) {
  Json json = {{"op", "start"},
               {"unit", start.unit},
               {"agent", start.agent},
               {"task_id", start.task_id},
               {"task_name", start.task_name},
               {"group", start.group},
               {"command", start.command},
               {"user", start.user},
               {"workdir", start.workdir},
               {"kill_grace_usec", Usec(start.kill_grace)},
               {"runtime_max_usec", Usec(start.runtime_max)}};
  Json env = Json::array();
  for (const auto& [name, value] : start.env) env.push_back({name, value});
  json["env"] = std::move(env);
  if (start.limits.memory_max) json["memory_max"] = *start.limits.memory_max;
  if (start.limits.cpu_quota) json["cpu_quota"] = *start.limits.cpu_quota;
  if (start.limits.tasks_max) json["tasks_max"] = *start.limits.tasks_max;
  return Dump(json);
}

std::string EncodeStopRequest(std::string_view unit) {
  return Json{{"op", "stop"}, {"unit", std::string(unit)}}.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string EncodeReply(const Result<void>& outcome) {
  const Json json = outcome ? Json{{"ok", true}} : Json{{"ok", false}, {"error", outcome.error().message}};
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<LauncherRequest> DecodeRequest(std::string_view text) {
  const Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return Failure{"the request is not a JSON object"};
  auto op = Text(json, "op");
  if (!op) return op.error();
  if (*op == "start") return DecodeStart(json);
  if (*op == "stop") {
    LauncherRequest request;
    request.op = LauncherOp::kStop;
    auto unit = Text(json, "unit");
    if (!unit) return unit.error();
    if (!IsTaskUnitName(*unit)) return Failure{fmt::format("\"{}\" is not the name of a task unit", *unit)};
    request.unit = std::move(unit).value();
    return request;
  }
  return Failure{fmt::format("unknown operation \"{}\" (start, stop)", *op)};
}

Result<void> DecodeReply(std::string_view text) {
  const Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("ok") || !json["ok"].is_boolean()) {
    return Failure{"the launcher's reply is not understood"};
  }
  if (json["ok"].get<bool>()) return {};
  const auto error = json.find("error");
  return Failure{error != json.end() && error->is_string() ? error->get<std::string>() : "refused (no reason given)"};
}

}  // namespace sloth
