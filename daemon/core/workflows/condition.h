#pragma once
// A task's `when`: a condition on values, checked before the workflow runs; a task whose
// condition is false is skipped. Grammar (blanks between tokens are free):
//   condition := or
//   or        := and { ("||" | "or") and }
//   and       := unary { ("&&" | "and") unary }
//   unary     := ("!" | "not") unary | "(" condition ")" | operand [ ("==" | "!=") operand ]
//   operand   := NAME | 'text' | "text" | NUMBER | true | false
// A NAME is a value (env, db.host); values are compared as text. An operand alone holds unless it
// is empty, false, 0, no or off (any case). Pure; a parsed Condition is a plain value.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "daemon/core/workflows/values.h"

namespace sloth {

struct ConditionError {
  size_t offset = 0;  // where in the condition's text
  std::string message;
};

class Condition {
 public:
  static Result<Condition, ConditionError> Parse(std::string_view text);

  // Each value name the condition reads, with its offset in the text, in the order written.
  const std::vector<std::pair<std::string, size_t>>& names() const { return names_; }
  // Whether it holds; every name must be in `values` (see names()).
  bool Holds(const Values& values) const;

 private:
  friend class ConditionParser;
  struct Operand {
    bool is_name = false;
    std::string text;  // the name, or the literal's text
  };
  enum class Kind { kOr, kAnd, kNot, kEquals, kNotEquals, kTruthy };
  struct Node {
    Kind kind = Kind::kTruthy;
    int left = -1, right = -1;  // nodes_ indices (kOr, kAnd, kNot: left only)
    Operand a, b;               // kEquals, kNotEquals: both; kTruthy: a
  };
  bool Evaluate(int node, const Values& values) const;
  std::string_view TextOf(const Operand& operand, const Values& values) const;

  std::vector<Node> nodes_;
  int root_ = -1;
  std::vector<std::pair<std::string, size_t>> names_;
};

}  // namespace sloth
