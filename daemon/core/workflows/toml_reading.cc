#include "daemon/core/workflows/toml_reading.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "daemon/core/workflows/values.h"

namespace sloth::toml_reading {
namespace {

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The closing delimiter's length and whether the string is multi-line, from its opening.
size_t DelimiterLength(std::string_view raw) {
  if (raw.starts_with("\"\"\"") || raw.starts_with("'''")) return 3;
  return 1;
}

}  // namespace

SourcePosition PositionOf(const toml::source_position& p) { return {p.line, p.column}; }

SourceText::SourceText(std::string_view text) : text_(text) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
}

size_t SourceText::Offset(SourcePosition at) const {
  if (at.line == 0 || at.line > line_starts_.size() || at.column == 0) return std::string_view::npos;
  size_t offset = line_starts_[at.line - 1];
  for (uint32_t column = 1; column < at.column; ++column) {
    if (offset >= text_.size() || text_[offset] == '\n') return std::string_view::npos;
    ++offset;
    while (offset < text_.size() && IsContinuationByte(text_[offset])) ++offset;
  }
  return offset;
}

LocatedString SourceText::Located(const toml::node& string_node) const {
  LocatedString out;
  out.value = string_node.as_string()->get();
  out.at = PositionOf(string_node.source().begin);
  const size_t begin = Offset(out.at);
  const size_t end = Offset(PositionOf(string_node.source().end));
  if (begin == std::string_view::npos || end == std::string_view::npos || end <= begin) return out;
  std::string_view raw = text_.substr(begin, end - begin);
  const size_t delimiter = DelimiterLength(raw);
  if (raw.size() < 2 * delimiter) return out;
  std::string_view inner = raw.substr(delimiter, raw.size() - 2 * delimiter);
  SourcePosition content{out.at.line, out.at.column + static_cast<uint32_t>(delimiter)};
  // A newline right after a multi-line string's opening delimiter is not part of the value.
  if (delimiter == 3 && (inner.starts_with("\n") || inner.starts_with("\r\n"))) {
    inner.remove_prefix(inner.front() == '\r' ? 2 : 1);
    content = {out.at.line + 1, 1};
  }
  if (inner == out.value) {
    out.verbatim = true;
    out.content = content;
  }
  return out;
}

LocatedString SourceText::Located(const toml::key& key) const {
  LocatedString out;
  out.value = std::string(key.str());
  out.at = PositionOf(key.source().begin);
  const size_t begin = Offset(out.at);
  if (begin != std::string_view::npos && text_.substr(begin).starts_with(out.value)) {
    out.verbatim = true;
    out.content = out.at;
  }
  return out;
}

Result<toml::table, WorkflowError> Parse(std::string_view text, std::string_view source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return WorkflowError{std::string(source), PositionOf(e.source().begin),
                         fmt::format("TOML syntax error: {}", e.description())};
  }
}

std::vector<std::pair<const toml::key*, const toml::node*>> InFileOrder(const toml::table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  entries.reserve(table.size());
  for (const auto& [key, node] : table) entries.emplace_back(&key, &node);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return entries;
}

Result<void, WorkflowError> MergeValuesTable(const toml::table& table, std::string_view source,
                                             const std::string& prefix, Values* values) {
  for (const auto& [key, node] : InFileOrder(table)) {
    const std::string name = prefix.empty() ? std::string(key->str()) : prefix + "." + std::string(key->str());
    const SourcePosition at = PositionOf(key->source().begin);
    auto error = [&](std::string message) { return WorkflowError{std::string(source), at, std::move(message)}; };
    if (!IsValueName(key->str())) {
      return error(
          fmt::format("value name '{}': use letters, digits, '_' and '-', starting with a letter or '_'", key->str()));
    }
    std::string text;
    if (const auto* nested = node->as_table()) {
      if (auto merged = MergeValuesTable(*nested, source, name, values); !merged) return merged;
      continue;
    } else if (const auto* s = node->as_string()) {
      text = s->get();
    } else if (const auto* i = node->as_integer()) {
      text = fmt::format("{}", i->get());
    } else if (const auto* f = node->as_floating_point()) {
      text = fmt::format("{}", f->get());
    } else if (const auto* b = node->as_boolean()) {
      text = b->get() ? "true" : "false";
    } else {
      return error(
          fmt::format("{}: expected a string, a number, a boolean or a table, got {}", name, TomlTypeName(*node)));
    }
    values->Set(name, Values::Entry{std::move(text), fmt::format("{}:{}:{}", source, at.line, at.column)});
  }
  return {};
}

}  // namespace sloth::toml_reading
