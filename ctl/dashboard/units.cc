#include "ctl/dashboard/units.h"

#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace sloth::dashboard {

std::string FormatDuration(double seconds, bool unicode) {
  if (std::isnan(seconds)) return "-";
  if (std::isinf(seconds)) return seconds > 0 ? "+Inf" : "-Inf";
  if (seconds < 0) return "-" + FormatDuration(-seconds, unicode);
  if (seconds == 0) return "0s";
  if (seconds < 0.001) return fmt::format("{:.0f}{}", seconds * 1e6, unicode ? "µs" : "us");
  if (seconds < 0.01) return fmt::format("{:.1f}ms", seconds * 1e3);
  if (seconds < 1) return fmt::format("{:.0f}ms", seconds * 1e3);
  if (seconds < 10) return fmt::format("{:.2f}s", seconds);
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  const auto whole = static_cast<long long>(std::llround(seconds));
  if (whole < 3600) return fmt::format("{}m{}s", whole / 60, whole % 60);
  return fmt::format("{}h{}m", whole / 3600, (whole % 3600) / 60);
}

std::string FormatUptime(double seconds) {
  if (std::isnan(seconds) || seconds < 0) return "-";
  const auto s = static_cast<long long>(seconds);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{}h", s / 86400, (s % 86400) / 3600);
}

std::string FormatBytes(double bytes) {
  if (std::isnan(bytes)) return "-";
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (std::fabs(bytes) >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  if (unit == 0) return fmt::format("{:.0f} B", bytes);
  return fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

std::string FormatPercent(double ratio) {
  if (std::isnan(ratio)) return "-";
  const double percent = ratio * 100;
  if (percent == 100 || percent == 0) return fmt::format("{:.0f}%", percent);
  if (std::fabs(percent) >= 99.95 && std::fabs(percent) < 100) return "99.9%";
  return fmt::format("{:.1f}%", percent);
}

std::string FormatCount(double value) {
  if (std::isnan(value)) return "-";
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e9) return fmt::format("{:.1f}G", value / 1e9);
  if (magnitude >= 1e6) return fmt::format("{:.1f}M", value / 1e6);
  if (magnitude >= 1e5) return fmt::format("{:.1f}k", value / 1e3);
  if (value == std::floor(value)) return fmt::format("{:.0f}", value);
  return fmt::format("{:.1f}", value);
}

std::string FormatRate(double per_second) {
  if (std::isnan(per_second)) return "-";
  if (per_second == 0) return "0/s";
  if (per_second >= 100) return fmt::format("{:.0f}/s", per_second);
  if (per_second >= 1) return fmt::format("{:.1f}/s", per_second);
  const double per_minute = per_second * 60;
  if (per_minute >= 10) return fmt::format("{:.0f}/min", per_minute);
  return fmt::format("{:.1f}/min", per_minute);
}

std::string OrDash(const std::optional<double>& value, std::string (*format)(double)) {
  return value ? format(*value) : "-";
}

std::string FormatClockTime(double unix_s) {
  if (unix_s <= 0) return "-";
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buffer[16];
  std::strftime(buffer, sizeof buffer, "%H:%M:%S", &tm);
  return buffer;
}

}  // namespace sloth::dashboard
