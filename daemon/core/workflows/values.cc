#include "daemon/core/workflows/values.h"

#include <fmt/format.h>

#include "daemon/core/workflows/toml_reading.h"

namespace sloth {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace

void Values::Set(std::string name, Entry entry) { entries_.insert_or_assign(std::move(name), std::move(entry)); }

const Values::Entry* Values::Find(std::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<std::string> Values::Names() const {
  std::vector<std::string> names;
  names.reserve(entries_.size());
  for (const auto& [name, entry] : entries_) names.push_back(name);
  return names;
}

bool IsValueName(std::string_view name) {
  if (name.empty() || name.size() > 128 || !IsNameStart(name.front())) return false;
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

bool IsDottedValueName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  size_t start = 0;
  for (;;) {
    const size_t dot = name.find('.', start);
    if (!IsValueName(name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

Result<void, WorkflowError> MergeValuesFile(std::string_view text, std::string_view source, Values* values) {
  if (text.size() > kMaxValuesFileBytes) {
    return WorkflowError{std::string(source),
                         {},
                         fmt::format("values file is {} bytes; at most {} are read", text.size(), kMaxValuesFileBytes)};
  }
  auto document = toml_reading::Parse(text, source);
  if (!document) return document.error();
  return toml_reading::MergeValuesTable(*document, source, "", values);
}

Result<void, WorkflowError> ApplySet(std::string_view assignment, Values* values) {
  const size_t equals = assignment.find('=');
  const std::string_view name = assignment.substr(0, equals);
  if (equals == std::string_view::npos || !IsDottedValueName(name)) {
    return WorkflowError{
        "--set",
        {},
        fmt::format("expected NAME=VALUE with NAME of letters, digits, '_', '-' and '.', got '{}'", assignment)};
  }
  values->Set(std::string(name), Values::Entry{std::string(assignment.substr(equals + 1)), "--set"});
  return {};
}

}  // namespace sloth
