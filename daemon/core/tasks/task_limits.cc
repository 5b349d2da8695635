#include "daemon/core/tasks/task_limits.h"

#include <fmt/format.h>

#include <array>
#include <utility>
#include <vector>

namespace sloth {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

bool IsMax(std::string_view text) { return text == "max" || text == "infinity"; }

// A decimal count without sign or spaces; nullopt on anything else or on overflow.
std::optional<uint64_t> Decimal(std::string_view digits) {
  if (digits.empty() || digits.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

std::optional<uint64_t> Apply(const std::optional<uint64_t>& request, const std::optional<uint64_t>& fallback) {
  const std::optional<uint64_t>& chosen = request ? request : fallback;
  if (!chosen || *chosen == kNoLimit) return std::nullopt;
  return chosen;
}

}  // namespace

TaskLimits EffectiveLimits(const TaskLimits& defaults, const TaskLimits& request) {
  return TaskLimits{Apply(request.memory_max, defaults.memory_max), Apply(request.cpu_quota, defaults.cpu_quota),
                    Apply(request.tasks_max, defaults.tasks_max)};
}

std::string LimitsNotEnforced(const TaskLimits& applied, const LimitSupport& support) {
  std::vector<std::string> parts;
  if (applied.memory_max && !support.memory.empty()) {
    parts.push_back(
        fmt::format("memory_max={} not enforced: {}", FormatMemorySize(*applied.memory_max), support.memory));
  }
  if (applied.cpu_quota && !support.cpu.empty()) {
    parts.push_back(fmt::format("cpu_quota={} not enforced: {}", FormatCpuQuota(*applied.cpu_quota), support.cpu));
  }
  if (applied.tasks_max && !support.tasks.empty()) {
    parts.push_back(fmt::format("tasks_max={} not enforced: {}", FormatTasksMax(*applied.tasks_max), support.tasks));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

Result<uint64_t> ParseMemoryMax(std::string_view text) {
  const auto refused = [&] {
    return Failure{
        fmt::format("expected a size such as \"512M\" or \"2G\" (K, M, G, T: powers of 1024; at least 1M) "
                    "or \"max\", got \"{}\"",
                    text)};
  };
  if (IsMax(text)) return kNoLimit;
  if (text.empty()) return refused();
  static constexpr std::array<std::pair<char, unsigned>, 4> kSuffixes = {{{'K', 10}, {'M', 20}, {'G', 30}, {'T', 40}}};
  unsigned shift = 0;
  std::string_view digits = text;
  for (const auto& [suffix, bits] : kSuffixes) {
    if (text.back() == suffix || text.back() == suffix + ('a' - 'A')) {
      shift = bits;
      digits.remove_suffix(1);
    }
  }
  const std::optional<uint64_t> value = Decimal(digits);
  if (!value || (shift > 0 && *value > (kNoLimit >> shift))) return refused();
  const uint64_t bytes = *value << shift;
  if (bytes < kMiB || bytes == kNoLimit) return refused();
  return bytes;
}

Result<uint64_t> ParseCpuQuota(std::string_view text) {
  if (IsMax(text)) return kNoLimit;
  std::string_view digits = text;
  const bool percent = !digits.empty() && digits.back() == '%';
  if (percent) digits.remove_suffix(1);
  const std::optional<uint64_t> value = percent ? Decimal(digits) : std::nullopt;
  if (!value || *value == 0 || *value > 100000) {
    return Failure{
        fmt::format("expected a share of one CPU from \"1%\" to \"100000%\" (\"200%\" = two CPUs) or \"max\", "
                    "got \"{}\"",
                    text)};
  }
  return *value;
}

Result<uint64_t> ParseTasksMax(std::string_view text) {
  if (IsMax(text)) return kNoLimit;
  const std::optional<uint64_t> value = Decimal(text);
  if (!value || *value == 0 || *value == kNoLimit) {
    return Failure{fmt::format("expected a number of processes of at least 1, or \"max\", got \"{}\"", text)};
  }
  return *value;
}

Result<TaskLimits> RequestLimits(std::string_view memory_max, std::string_view cpu_quota, std::string_view tasks_max) {
  TaskLimits limits;
  const struct {
    const char* name;
    std::string_view text;
    Result<uint64_t> (*parse)(std::string_view);
    std::optional<uint64_t>* field;
  } fields[] = {{"memory_max", memory_max, ParseMemoryMax, &limits.memory_max},
                {"cpu_quota", cpu_quota, ParseCpuQuota, &limits.cpu_quota},
                {"tasks_max", tasks_max, ParseTasksMax, &limits.tasks_max}};
  for (const auto& f : fields) {
    if (f.text.empty()) continue;
    auto value = f.parse(f.text);
    if (!value) return Failure{fmt::format("{}: {}", f.name, value.error().message)};
    *f.field = *value;
  }
  return limits;
}

std::string FormatMemorySize(uint64_t bytes) {
  if (bytes == kNoLimit) return "max";
  for (const auto& [suffix, shift] :
       std::array<std::pair<char, unsigned>, 4>{{{'T', 40}, {'G', 30}, {'M', 20}, {'K', 10}}}) {
    const uint64_t unit = uint64_t{1} << shift;
    if (bytes >= unit && bytes % unit == 0) return fmt::format("{}{}", bytes / unit, suffix);
  }
  return fmt::format("{}", bytes);
}

std::string FormatCpuQuota(uint64_t percent) { return percent == kNoLimit ? "max" : fmt::format("{}%", percent); }

std::string FormatTasksMax(uint64_t count) { return count == kNoLimit ? "max" : fmt::format("{}", count); }

}  // namespace sloth
