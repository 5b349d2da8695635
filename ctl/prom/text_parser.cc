#include "ctl/prom/text_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <tuple>
#include <unordered_map>

namespace sloth::prom {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsMetricNameStart(char c) { return IsAlpha(c) || c == '_' || c == ':'; }
bool IsMetricNameChar(char c) { return IsMetricNameStart(c) || IsDigit(c); }
bool IsLabelNameStart(char c) { return IsAlpha(c) || c == '_'; }
bool IsLabelNameChar(char c) { return IsLabelNameStart(c) || IsDigit(c); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;
  }
  return true;
}

// Input text quoted for an error message: bounded, and safe to print on a terminal.
std::string Quote(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (text.size() > kMax) out += "...";
  out += '"';
  return out;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

// Unescapes a HELP text: \\ and \n; any other backslash pair is kept as written.
std::string UnescapeHelp(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '\\' || s[i + 1] == 'n')) {
      out += s[i + 1] == 'n' ? '\n' : '\\';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<int64_t> ParseTimestamp(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty() || (s[0] == '-' && (s.size() == 1 || !IsDigit(s[1])))) return std::nullopt;
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

// Lets the family index be searched with a string_view, without a temporary string.
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
};

struct FamilyState {
  bool has_type = false;
  bool has_help = false;
  bool has_samples = false;
};

struct RawLabel {
  std::string name;
  std::string value;
  size_t column;  // 0-based, of the name
};

// Parses line by line; each Parse* method reports the first error of its line.
class Parser {
 public:
  std::optional<ParseError> ParseLine(int64_t line_no, std::string_view line) {
    line_no_ = line_no;
    line_ = line;
    pos_ = 0;
    SkipBlanks();
    if (pos_ == line_.size()) return std::nullopt;
    if (line_[pos_] == '#') return ParseComment();
    return ParseSample();
  }

  MetricSet Take() { return std::move(set_); }

 private:
  ParseError Fail(size_t column0, std::string_view what) const {
    const int64_t column = static_cast<int64_t>(column0) + 1;
    return ParseError{static_cast<int>(std::min<int64_t>(line_no_, std::numeric_limits<int>::max())),
                      static_cast<int>(std::min<int64_t>(column, std::numeric_limits<int>::max())),
                      fmt::format("line {}: {} at column {}", line_no_, what, column)};
  }

  void SkipBlanks() {
    while (pos_ < line_.size() && IsBlank(line_[pos_])) ++pos_;
  }
  std::string_view Word() {
    const size_t start = pos_;
    while (pos_ < line_.size() && !IsBlank(line_[pos_])) ++pos_;
    return line_.substr(start, pos_ - start);
  }
  std::string_view MetricName() {
    const size_t start = pos_;
    if (pos_ < line_.size() && IsMetricNameStart(line_[pos_])) {
      while (pos_ < line_.size() && IsMetricNameChar(line_[pos_])) ++pos_;
    }
    return line_.substr(start, pos_ - start);
  }

  size_t FamilyIndex(std::string_view name) {
    auto it = index_.find(name);
    if (it != index_.end()) return it->second;
    set_.families.push_back(Family{std::string(name), {}, MetricType::kUntyped, {}});
    state_.push_back({});
    index_.emplace(std::string(name), set_.families.size() - 1);
    return set_.families.size() - 1;
  }

  // The family a sample belongs to: x for x_bucket/x_sum/x_count of a TYPEd histogram (or
  // x_sum/x_count of a summary), else the family named like the sample.
  size_t FamilyOfSample(std::string_view name) {
    if (last_family_ && name == last_sample_name_) return *last_family_;
    last_sample_name_ = name;
    last_family_ = FamilyOfNewSampleName(name);
    return *last_family_;
  }
  size_t FamilyOfNewSampleName(std::string_view name) {
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
      if (name.size() <= suffix.size() || !name.ends_with(suffix)) continue;
      auto it = index_.find(name.substr(0, name.size() - suffix.size()));
      if (it == index_.end()) continue;
      const MetricType type = set_.families[it->second].type;
      if (type == MetricType::kHistogram || (type == MetricType::kSummary && suffix != "_bucket")) {
        return it->second;
      }
    }
    return FamilyIndex(name);
  }

  std::optional<ParseError> ParseComment() {
    ++pos_;                                                                 // '#'
    if (pos_ < line_.size() && !IsBlank(line_[pos_])) return std::nullopt;  // "#foo": a comment
    SkipBlanks();
    const std::string_view keyword = Word();
    if (keyword != "HELP" && keyword != "TYPE") return std::nullopt;
    SkipBlanks();
    const size_t name_column = pos_;
    const std::string_view name = MetricName();
    if (name.empty()) return Fail(pos_, fmt::format("expected a metric name after {}", keyword));
    if (pos_ < line_.size() && !IsBlank(line_[pos_])) {
      return Fail(pos_,
                  fmt::format("unexpected character {} in metric name {}", Quote(line_.substr(pos_, 1)), Quote(name)));
    }
    SkipBlanks();
    if (keyword == "HELP") {
      const size_t f = FamilyIndex(name);
      if (state_[f].has_help) return Fail(name_column, fmt::format("second HELP line for metric {}", Quote(name)));
      state_[f].has_help = true;
      set_.families[f].help = UnescapeHelp(line_.substr(pos_));
      return std::nullopt;
    }
    const size_t type_column = pos_;
    const std::string_view word = Word();
    if (word.empty()) return Fail(pos_, fmt::format("expected a metric type after metric name {}", Quote(name)));
    MetricType type;
    if (word == "counter") {
      type = MetricType::kCounter;
    } else if (word == "gauge") {
      type = MetricType::kGauge;
    } else if (word == "histogram") {
      type = MetricType::kHistogram;
    } else if (word == "summary") {
      type = MetricType::kSummary;
    } else if (word == "untyped") {
      type = MetricType::kUntyped;
    } else {
      return Fail(type_column, fmt::format("invalid metric type {}", Quote(word)));
    }
    SkipBlanks();
    if (pos_ < line_.size()) {
      return Fail(pos_, fmt::format("unexpected text {} after the metric type", Quote(line_.substr(pos_))));
    }
    const size_t f = FamilyIndex(name);
    if (state_[f].has_type) return Fail(name_column, fmt::format("second TYPE line for metric {}", Quote(name)));
    if (state_[f].has_samples) {
      return Fail(name_column, fmt::format("TYPE line for metric {} after its samples", Quote(name)));
    }
    state_[f].has_type = true;
    set_.families[f].type = type;
    last_family_.reset();  // a new TYPE may change where x_bucket & co. belong
    return std::nullopt;
  }

  // Reads a quoted label value at pos_ (the opening quote) into `out`.
  std::optional<ParseError> LabelValueAt(std::string_view label, std::string* out) {
    const size_t quote = pos_++;
    const size_t start = pos_;
    while (pos_ < line_.size()) {
      const char c = line_[pos_];
      if (c == '"') break;
      if (c == '\\' && pos_ + 1 < line_.size()) {
        const char next = line_[pos_ + 1];
        if (next == '\\' || next == '"' || next == 'n') {
          *out += next == 'n' ? '\n' : next;
        } else {
          *out += c;
          *out += next;
        }
        pos_ += 2;
        continue;
      }
      *out += c;
      ++pos_;
    }
    if (pos_ == line_.size()) return Fail(quote, fmt::format("unterminated value of label {}", Quote(label)));
    if (!IsValidUtf8(line_.substr(start, pos_ - start))) {
      return Fail(quote, fmt::format("invalid UTF-8 in the value of label {}", Quote(label)));
    }
    ++pos_;  // closing quote
    return std::nullopt;
  }

  std::optional<ParseError> LabelsAt(std::vector<RawLabel>* labels) {
    ++pos_;  // '{'
    for (;;) {
      SkipBlanks();
      if (pos_ < line_.size() && line_[pos_] == '}') {
        ++pos_;
        return std::nullopt;
      }
      if (pos_ == line_.size() || !IsLabelNameStart(line_[pos_])) return Fail(pos_, "expected a label name or '}'");
      RawLabel label{{}, {}, pos_};
      while (pos_ < line_.size() && IsLabelNameChar(line_[pos_])) ++pos_;
      label.name = std::string(line_.substr(label.column, pos_ - label.column));
      SkipBlanks();
      if (pos_ == line_.size() || line_[pos_] != '=') {
        return Fail(pos_, fmt::format("expected '=' after label name {}", Quote(label.name)));
      }
      ++pos_;
      SkipBlanks();
      if (pos_ == line_.size() || line_[pos_] != '"') {
        return Fail(pos_, fmt::format("expected '\"' to start the value of label {}", Quote(label.name)));
      }
      if (auto error = LabelValueAt(label.name, &label.value)) return error;
      labels->push_back(std::move(label));
      SkipBlanks();
      if (pos_ < line_.size() && line_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < line_.size() && line_[pos_] == '}') {
        ++pos_;
        return std::nullopt;
      }
      return Fail(pos_, fmt::format("expected ',' or '}}' after the value of label {}", Quote(labels->back().name)));
    }
  }

  std::optional<ParseError> ParseSample() {
    const std::string_view name = MetricName();
    if (name.empty()) return Fail(pos_, "expected a metric name");
    std::vector<RawLabel> raw;
    if (pos_ < line_.size() && line_[pos_] == '{') {
      if (auto error = LabelsAt(&raw)) return error;
    } else if (pos_ < line_.size() && !IsBlank(line_[pos_])) {
      return Fail(
          pos_, fmt::format("unexpected character {} after metric name {}", Quote(line_.substr(pos_, 1)), Quote(name)));
    }
    SkipBlanks();
    if (pos_ == line_.size()) return Fail(pos_, fmt::format("expected a value for metric {}", Quote(name)));
    const size_t value_column = pos_;
    const std::string_view value_text = Word();
    const std::optional<double> value = ParseFloatValue(value_text);
    if (!value) return Fail(value_column, fmt::format("invalid value {}", Quote(value_text)));
    SkipBlanks();
    std::optional<int64_t> timestamp;
    if (pos_ < line_.size()) {
      const size_t ts_column = pos_;
      const std::string_view ts_text = Word();
      timestamp = ParseTimestamp(ts_text);
      if (!timestamp) return Fail(ts_column, fmt::format("invalid timestamp {}", Quote(ts_text)));
      SkipBlanks();
      if (pos_ < line_.size()) {
        return Fail(pos_, fmt::format("unexpected text {} after the timestamp", Quote(line_.substr(pos_))));
      }
    }
    // Stable, so that of two equal names the later one is reported.
    std::stable_sort(raw.begin(), raw.end(), [](const RawLabel& a, const RawLabel& b) { return a.name < b.name; });
    for (size_t i = 1; i < raw.size(); ++i) {
      if (raw[i].name == raw[i - 1].name) {
        return Fail(std::max(raw[i].column, raw[i - 1].column),
                    fmt::format("duplicate label name {}", Quote(raw[i].name)));
      }
    }
    Sample sample{std::string(name), {}, *value, timestamp};
    sample.labels.reserve(raw.size());
    for (RawLabel& l : raw) sample.labels.emplace_back(std::move(l.name), std::move(l.value));
    const size_t f = FamilyOfSample(name);
    state_[f].has_samples = true;
    set_.families[f].samples.push_back(std::move(sample));
    return std::nullopt;
  }

  MetricSet set_;
  std::vector<FamilyState> state_;                                            // parallel to set_.families
  std::unordered_map<std::string, size_t, NameHash, std::equal_to<>> index_;  // family name → position
  std::string last_sample_name_;                                              // cache: consecutive samples
  std::optional<size_t> last_family_;                                         // usually share a family
  int64_t line_no_ = 0;
  std::string_view line_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<double> ParseFloatValue(std::string_view text) {
  // Go's strconv.ParseFloat without hex floats and '_' (Prometheus refuses those in the format).
  bool negative = false;
  std::string_view s = text;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const double sign = negative ? -1.0 : 1.0;
  if (EqualsIgnoreCase(s, "inf") || EqualsIgnoreCase(s, "infinity")) {
    return sign * std::numeric_limits<double>::infinity();
  }
  if (s.size() == text.size() && EqualsIgnoreCase(s, "nan")) return std::numeric_limits<double>::quiet_NaN();
  size_t i = 0;
  size_t int_digits = 0, frac_digits = 0, leading_zeros = 0;
  bool seen_nonzero = false;
  while (i < s.size() && IsDigit(s[i])) {
    seen_nonzero = seen_nonzero || s[i] != '0';
    if (seen_nonzero) ++int_digits;
    ++i;
  }
  const size_t mantissa_int = i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) {
      if (!seen_nonzero && s[i] == '0') ++leading_zeros;
      seen_nonzero = seen_nonzero || s[i] != '0';
      ++frac_digits;
      ++i;
    }
  }
  if (mantissa_int == 0 && frac_digits == 0) return std::nullopt;
  int64_t exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
    if (i == s.size() || !IsDigit(s[i])) return std::nullopt;
    while (i < s.size() && IsDigit(s[i])) {
      exponent = std::min<int64_t>(exponent * 10 + (s[i] - '0'), 1'000'000);
      ++i;
    }
    if (exp_negative) exponent = -exponent;
  }
  if (i != s.size()) return std::nullopt;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc::result_out_of_range) {
    // Go returns ±0 on underflow and an error on overflow.
    const int64_t magnitude =
        int_digits > 0 ? static_cast<int64_t>(int_digits) + exponent : exponent - static_cast<int64_t>(leading_zeros);
    if (magnitude > 0) return std::nullopt;
    return sign * 0.0;
  }
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return sign * value;
}

ParseResult PromTextParser::Parse(std::string_view text) {
  Parser parser;
  size_t start = 0;
  int64_t line_no = 0;
  for (;;) {
    const size_t newline = text.find('\n', start);
    const size_t end = newline == std::string_view::npos ? text.size() : newline;
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no;
    if (auto error = parser.ParseLine(line_no, line)) return *std::move(error);
    if (newline == std::string_view::npos) break;
    start = newline + 1;
  }
  return parser.Take();
}

}  // namespace sloth::prom
