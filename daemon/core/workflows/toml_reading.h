#pragma once
// Reading toml++ documents with positions, for the workflow and values parsers. Internal to
// daemon/core/workflows: toml++ stays out of the other headers. Pure.
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "common/result.h"
#include "daemon/core/toml_type_name.h"
#include "daemon/core/workflows/located_string.h"

namespace sloth {

class Values;

namespace toml_reading {

SourcePosition PositionOf(const toml::source_position& p);

// The document's text indexed by line, to see how each value was spelled.
class SourceText {
 public:
  explicit SourceText(std::string_view text);
  // A string node's value and where it is written (node.is_string()).
  LocatedString Located(const toml::node& string_node) const;
  // A key's name at its position.
  LocatedString Located(const toml::key& key) const;

 private:
  size_t Offset(SourcePosition at) const;  // npos when outside the text
  std::string_view text_;
  std::vector<size_t> line_starts_;
};

// Parses `text`; a syntax error (a name defined twice among them) becomes a WorkflowError at its
// position.
Result<toml::table, WorkflowError> Parse(std::string_view text, std::string_view source);

// The entries of `table` in the order the file writes them (toml++ keeps them sorted by name).
std::vector<std::pair<const toml::key*, const toml::node*>> InFileOrder(const toml::table& table);

// Adds the scalar entries of `table` to `values` (nested tables give dotted names: db.host), each
// overriding an earlier value of the same name; `prefix` is the dotted name of `table` itself.
Result<void, WorkflowError> MergeValuesTable(const toml::table& table, std::string_view source,
                                             const std::string& prefix, Values* values);

}  // namespace toml_reading
}  // namespace sloth
