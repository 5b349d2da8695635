#include "common/duration.h"

#include <charconv>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

namespace sloth {
namespace {

// Nanoseconds per unit, longest unit names first so "ms" is not read as "m".
struct Unit {
  std::string_view name;
  double nanos;
};
constexpr Unit kUnits[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"h", 3600e9}, {"m", 60e9}, {"s", 1e9}};

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  const std::string_view original = text;
  if (text.empty()) {
    return Failure{"empty duration (examples: 500ms, 30s, 5m, 1h)"};
  }
  double total = 0;
  while (!text.empty()) {
    size_t digits = 0;
    while (digits < text.size() && ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) ++digits;
    if (digits == 0) {
      return Failure{fmt::format("invalid duration '{}': expected a number at '{}' (examples: 500ms, 30s, 5m, 1h)",
                                 original, text)};
    }
    double value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, value);
    if (ec != std::errc() || ptr != text.data() + digits) {
      return Failure{fmt::format("invalid duration '{}': bad number '{}'", original, text.substr(0, digits))};
    }
    text.remove_prefix(digits);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.starts_with(u.name)) {
        // "m" must not swallow the "m" of "ms".
        if (u.name == "m" && text.starts_with("ms")) continue;
        unit = &u;
        break;
      }
    }
    if (!unit) {
      return Failure{fmt::format("invalid duration '{}': missing or unknown unit after {} (use ns, us, ms, s, m or h)",
                                 original, value)};
    }
    text.remove_prefix(unit->name.size());
    total += value * unit->nanos;
  }
  if (!std::isfinite(total) || total > static_cast<double>(INT64_MAX)) {
    return Failure{fmt::format("invalid duration '{}': too large", original)};
  }
  return Duration(static_cast<int64_t>(std::llround(total)));
}

int64_t UnixMillis(std::chrono::system_clock::time_point t) {
  if (t.time_since_epoch().count() == 0) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string FormatDuration(Duration d) {
  using namespace std::chrono;
  if (d == Duration::zero()) return "0s";
  std::string out;
  if (d < Duration::zero()) {
    out = "-";
    d = -d;
  }
  if (d < 1s) {
    if (d % 1ms == Duration::zero()) return out + fmt::format("{}ms", d / 1ms);
    if (d % 1us == Duration::zero()) return out + fmt::format("{}us", d / 1us);
    return out + fmt::format("{}ns", d.count());
  }
  const auto h = duration_cast<hours>(d);
  d -= h;
  const auto m = duration_cast<minutes>(d);
  d -= m;
  if (h.count()) out += fmt::format("{}h", h.count());
  if (m.count()) out += fmt::format("{}m", m.count());
  if (d != Duration::zero()) {
    const auto s = duration_cast<seconds>(d);
    const auto fraction = duration_cast<nanoseconds>(d - s).count();
    if (fraction == 0) {
      out += fmt::format("{}s", s.count());
    } else {
      // Exact decimals ("3.000003s"): a double would print 3e-06 for 3us, which parses as nothing.
      std::string digits = fmt::format("{:09}", fraction);
      digits.erase(digits.find_last_not_of('0') + 1);
      out += fmt::format("{}.{}s", s.count(), digits);
    }
  }
  return out;
}

}  // namespace sloth
