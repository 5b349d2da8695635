#include "daemon/core/workflows/condition.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace sloth {
namespace {

// Deep enough for any condition a person writes; bounds the parser's recursion.
constexpr int kMaxDepth = 32;
constexpr size_t kMaxConditionBytes = 4096;

bool IsWordStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool Truthy(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return !(lower.empty() || lower == "false" || lower == "0" || lower == "no" || lower == "off");
}

}  // namespace

// Recursive descent over the grammar in condition.h; each Parse* returns a node index.
class ConditionParser {
 public:
  explicit ConditionParser(std::string_view text) : text_(text) {}

  Result<Condition, ConditionError> Run() {
    if (text_.size() > kMaxConditionBytes) return Fail(0, fmt::format("longer than {} bytes", kMaxConditionBytes));
    SkipBlanks();
    if (pos_ == text_.size()) return Fail(0, "empty: write a condition such as env == 'prod'");
    out_.root_ = ParseOr(0);
    if (error_) return *error_;
    SkipBlanks();
    if (pos_ != text_.size()) return Fail(pos_, fmt::format("unexpected '{}'", text_.substr(pos_, 8)));
    return std::move(out_);
  }

 private:
  using Kind = Condition::Kind;

  ConditionError Fail(size_t at, std::string message) {
    if (!error_) error_ = ConditionError{at, std::move(message)};
    return *error_;
  }

  void SkipBlanks() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n')) ++pos_;
  }

  // Consumes `symbol` (or the keyword `word`, not followed by a name character) if it is next.
  bool Accept(std::string_view symbol, std::string_view word = {}) {
    SkipBlanks();
    if (text_.substr(pos_).starts_with(symbol)) {
      pos_ += symbol.size();
      return true;
    }
    if (!word.empty() && text_.substr(pos_).starts_with(word) &&
        (pos_ + word.size() == text_.size() || !IsWordChar(text_[pos_ + word.size()]))) {
      pos_ += word.size();
      return true;
    }
    return false;
  }

  int Add(Condition::Node node) {
    out_.nodes_.push_back(std::move(node));
    return static_cast<int>(out_.nodes_.size()) - 1;
  }

  int ParseOr(int depth) {
    int left = ParseAnd(depth);
    while (!error_ && Accept("||", "or")) left = Add({Kind::kOr, left, ParseAnd(depth), {}, {}});
    return left;
  }

  int ParseAnd(int depth) {
    int left = ParseUnary(depth);
    while (!error_ && Accept("&&", "and")) left = Add({Kind::kAnd, left, ParseUnary(depth), {}, {}});
    return left;
  }

  int ParseUnary(int depth) {
    if (depth > kMaxDepth) {
      Fail(pos_, fmt::format("nested more than {} deep", kMaxDepth));
      return -1;
    }
    if (Accept("!=")) {
      Fail(pos_ - 2, "expected a value before '!='");
      return -1;
    }
    if (Accept("!", "not")) return Add({Kind::kNot, ParseUnary(depth + 1), -1, {}, {}});
    if (Accept("(")) {
      const size_t open = pos_ - 1;
      const int inner = ParseOr(depth + 1);
      if (!error_ && !Accept(")")) Fail(open, "'(' is not closed");
      return inner;
    }
    Condition::Node node;
    node.a = ParseOperand();
    if (Accept("==")) {
      node.kind = Kind::kEquals;
    } else if (Accept("!=")) {
      node.kind = Kind::kNotEquals;
    } else {
      return Add(std::move(node));
    }
    node.b = ParseOperand();
    return Add(std::move(node));
  }

  Condition::Operand ParseOperand() {
    SkipBlanks();
    if (error_) return {};
    if (pos_ == text_.size()) {
      Fail(pos_, "expected a value name or a literal at the end");
      return {};
    }
    const size_t start = pos_;
    const char c = text_[pos_];
    if (c == '\'' || c == '"') {
      const size_t close = text_.find(c, pos_ + 1);
      if (close == std::string_view::npos) {
        Fail(start, "the quoted text is not closed");
        return {};
      }
      pos_ = close + 1;
      return {false, std::string(text_.substr(start + 1, close - start - 1))};
    }
    if (IsDigit(c)) {
      while (pos_ < text_.size() && (IsDigit(text_[pos_]) || text_[pos_] == '.')) ++pos_;
      return {false, std::string(text_.substr(start, pos_ - start))};
    }
    if (!IsWordStart(c)) {
      Fail(start, c == '{' ? "refer to values by name, without {{ }} (e.g. env == 'prod')"
                           : fmt::format("expected a value name or a literal, got '{}'", c));
      return {};
    }
    while (pos_ < text_.size() && IsWordChar(text_[pos_])) ++pos_;
    std::string word(text_.substr(start, pos_ - start));
    if (word == "true" || word == "false") return {false, std::move(word)};
    if (word == "and" || word == "or" || word == "not") {
      Fail(start, fmt::format("expected a value name or a literal, got '{}'", word));
      return {};
    }
    if (!IsDottedValueName(word)) {
      Fail(start, fmt::format("'{}' is not a value name", word));
      return {};
    }
    out_.names_.emplace_back(word, start);
    return {true, std::move(word)};
  }

  std::string_view text_;
  size_t pos_ = 0;
  Condition out_;
  std::optional<ConditionError> error_;
};

Result<Condition, ConditionError> Condition::Parse(std::string_view text) { return ConditionParser(text).Run(); }

std::string_view Condition::TextOf(const Operand& operand, const Values& values) const {
  if (!operand.is_name) return operand.text;
  const Values::Entry* entry = values.Find(operand.text);
  return entry == nullptr ? std::string_view() : std::string_view(entry->text);
}

bool Condition::Evaluate(int index, const Values& values) const {
  const Node& node = nodes_[static_cast<size_t>(index)];
  switch (node.kind) {
    case Kind::kOr: return Evaluate(node.left, values) || Evaluate(node.right, values);
    case Kind::kAnd: return Evaluate(node.left, values) && Evaluate(node.right, values);
    case Kind::kNot: return !Evaluate(node.left, values);
    case Kind::kEquals: return TextOf(node.a, values) == TextOf(node.b, values);
    case Kind::kNotEquals: return TextOf(node.a, values) != TextOf(node.b, values);
    case Kind::kTruthy: return Truthy(TextOf(node.a, values));
  }
  return false;
}

bool Condition::Holds(const Values& values) const { return root_ >= 0 && Evaluate(root_, values); }

}  // namespace sloth
