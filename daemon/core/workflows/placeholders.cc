#include "daemon/core/workflows/placeholders.h"

#include <fmt/format.h>

namespace sloth {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

struct Placeholder {
  size_t length = 0;  // 0: not a placeholder here
  std::string_view name;
};

// The placeholder starting at text[at] (which is "{{"), if it is one.
Placeholder PlaceholderAt(std::string_view text, size_t at) {
  size_t i = at + 2;
  while (i < text.size() && IsBlank(text[i])) ++i;
  const size_t name_start = i;
  while (i < text.size() && !IsBlank(text[i]) && text[i] != '}') ++i;
  const std::string_view name = text.substr(name_start, i - name_start);
  while (i < text.size() && IsBlank(text[i])) ++i;
  if (!text.substr(i).starts_with("}}") || !IsDottedValueName(name)) return {};
  return {i + 2 - at, name};
}

// "a, b, c" (the first few).
std::string SomeNames(const Values& values) {
  constexpr size_t kShown = 12;
  const auto names = values.Names();
  if (names.empty()) return "none";
  std::string out;
  for (size_t i = 0; i < names.size() && i < kShown; ++i) out += (i == 0 ? "" : ", ") + names[i];
  if (names.size() > kShown) out += fmt::format(" and {} more", names.size() - kShown);
  return out;
}

}  // namespace

Result<std::string, WorkflowError> SubstitutePlaceholders(const LocatedString& text, const Values& values,
                                                          std::string_view source, std::string_view key) {
  const std::string_view in = text.value;
  std::string out;
  size_t copied = 0;
  for (size_t at = in.find("{{"); at != std::string_view::npos; at = in.find("{{", at + 1)) {
    const Placeholder placeholder = PlaceholderAt(in, at);
    if (placeholder.length == 0) continue;
    const Values::Entry* value = values.Find(placeholder.name);
    if (value == nullptr) {
      return WorkflowError{
          std::string(source), text.PositionOf(at),
          fmt::format("{}: unknown placeholder {{{{ {} }}}}: no value of that name (set it in [values], a --values "
                      "file or with --set {}=...; values: {})",
                      key, placeholder.name, placeholder.name, SomeNames(values))};
    }
    out.append(in.substr(copied, at - copied));
    out.append(value->text);
    if (out.size() > kMaxSubstitutedBytes) {
      return WorkflowError{
          std::string(source), text.PositionOf(at),
          fmt::format("{}: longer than {} bytes once its placeholders are substituted", key, kMaxSubstitutedBytes)};
    }
    at += placeholder.length - 1;
    copied = at + 1;
  }
  out.append(in.substr(copied));
  return out;
}

}  // namespace sloth
