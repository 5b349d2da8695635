#pragma once
// The named values a workflow reads in its {{ NAME }} placeholders and `when` conditions: the
// workflow file's [values] first, then each --values file in order, then each --set, a later
// source overriding an earlier one. Pure: the files' texts are passed in. Plain value.
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "daemon/core/workflows/workflow_error.h"

namespace sloth {

inline constexpr size_t kMaxValuesFileBytes = 1 << 20;

class Values {
 public:
  struct Entry {
    std::string text;    // numbers and booleans as written in TOML: 3, 1.5, true
    std::string origin;  // where it was set: "dev.toml:3:1", "--set"
  };

  void Set(std::string name, Entry entry);
  const Entry* Find(std::string_view name) const;
  // Every name, sorted, for messages.
  std::vector<std::string> Names() const;
  size_t size() const { return entries_.size(); }

 private:
  std::map<std::string, Entry, std::less<>> entries_;
};

// A letter or '_', then letters, digits, '_' and '-'. Nested tables give dotted names (db.host).
bool IsValueName(std::string_view name);
bool IsDottedValueName(std::string_view name);

// A values file: TOML whose keys are names and whose values are strings, numbers or booleans;
// a table nests (`[db]` `host = "x"` is db.host).
Result<void, WorkflowError> MergeValuesFile(std::string_view text, std::string_view source, Values* values);

// `--set NAME=VALUE`: the value is the text after the first '=', as is.
Result<void, WorkflowError> ApplySet(std::string_view assignment, Values* values);

}  // namespace sloth
