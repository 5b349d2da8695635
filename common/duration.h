#pragma once
// Human durations as operators write them: "500ms", "30s", "5m", "1h", "1m30s", "1.5s".
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sloth {

using Duration = std::chrono::nanoseconds;

// Parses a duration; on failure returns nullopt and, if `error` is given, says what was wrong.
// A bare number is refused (ambiguous unit); units: ns us ms s m h.
std::optional<Duration> ParseDuration(std::string_view text, std::string* error = nullptr);

// Formats the way ParseDuration reads it back: "1h2m3s", "250ms", "0s".
std::string FormatDuration(Duration d);

}  // namespace sloth
