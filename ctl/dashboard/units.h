#pragma once
// Grafana-like unit formatting for the dashboard: durations, bytes, percentages, counts, rates.
// Pure; NaN or a missing value prints as "-".
#include <optional>
#include <string>

namespace sloth::dashboard {

// 0.0042 → "4.2ms", 1.5 → "1.50s", 95 → "1m35s", 7300 → "2h1m"; sub-millisecond as "µs"
// ("us" when `unicode` is false).
std::string FormatDuration(double seconds, bool unicode = true);

// Uptime style: "42s", "3m12s", "5h03m", "2d4h".
std::string FormatUptime(double seconds);

// IEC: 512 → "512 B", 23732224 → "22.6 MiB", up to TiB.
std::string FormatBytes(double bytes);

// 0.753 → "75.3%" (a ratio in, percent out); 1 → "100%".
std::string FormatPercent(double ratio);

// 1234 → "1234", 123456 → "123.5k", 1.2e7 → "12.0M"; fractional values keep one decimal.
std::string FormatCount(double value);

// Per-second rate: ≥ 1 → "2.5/s", else per minute "24/min", 0 → "0/s".
std::string FormatRate(double per_second);

// "12:00:03" in local time; "-" for 0 or less.
std::string FormatClockTime(double unix_s);

std::string OrDash(const std::optional<double>& value, std::string (*format)(double));

}  // namespace sloth::dashboard
