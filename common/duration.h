#pragma once
// Human durations as operators write them: "500ms", "30s", "5m", "1h", "1m30s", "1.5s".
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace sloth {

using Duration = std::chrono::nanoseconds;

// Parses a duration, or says what was wrong. A bare number is refused (ambiguous unit); units: ns
// us ms s m h.
Result<Duration> ParseDuration(std::string_view text);

// Formats the way ParseDuration reads it back: "1h2m3s", "250ms", "0s".
std::string FormatDuration(Duration d);

// Milliseconds since the Unix epoch, as the control contracts carry times; 0 for an unset time.
int64_t UnixMillis(std::chrono::system_clock::time_point t);

}  // namespace sloth
