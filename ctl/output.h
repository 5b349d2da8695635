#pragma once
// Rendering of agent answers: aligned tables and key/value blocks for people, JSON for scripts.
// Pure: no I/O; local time uses the process's TZ.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sloth/v1/agent.pb.h"

namespace sloth::ctl {

enum class OutputFormat { kText, kJson };

// "text" or "json"; nullopt otherwise.
std::optional<OutputFormat> ParseOutputFormat(std::string_view text);

// "queued", "running", "success", "failed", "skipped" ("unknown" otherwise).
std::string StatusName(v1::TaskStatus status);

// What a person calls the task's state: queued, running, success, failed, timeout, cancelled,
// skipped.
std::string TaskStateName(const v1::TaskResult& task);

// The EXIT column: the exit code, the signal name ("SIGKILL"), or "-" when not finished.
std::string ExitColumn(const v1::TaskResult& task);

// A wall time as a compact duration: "850ms", "1.5s", "2m3s".
std::string FormatSeconds(double seconds);

// "2024-05-01T12:00:03.250Z"; "" for 0.
std::string Iso8601Utc(int64_t unix_ms);

// "2024-05-01 12:00:03" in local time; "-" for 0.
std::string FormatLocalTime(int64_t unix_ms);

// Aligned columns, two spaces apart, header first; the last column is not padded.
std::string RenderTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

// ID NAME GROUP STATUS EXIT DURATION STARTED, one row per task, in the agent's order.
std::string RenderTasksText(const v1::ListTasksResponse& tasks);
nlohmann::json TaskJson(const v1::TaskResult& task);
// {"tasks": [...]}.
nlohmann::json TasksJson(const v1::ListTasksResponse& tasks);

std::string RenderInfoText(const v1::AgentInfo& info);
nlohmann::json InfoJson(const v1::AgentInfo& info);

// "healthy" or "unhealthy: <reason>".
std::string RenderHealthText(const v1::Health& health);
nlohmann::json HealthJson(const v1::Health& health);

// JSON as slothctl prints it: two-space indent, trailing newline; invalid UTF-8 replaced.
std::string DumpJson(const nlohmann::json& value);

}  // namespace sloth::ctl
