#pragma once
// A string read from a file, with where it was written, so that an error about a part of it (a
// placeholder, a name in a condition) can point at that part. Plain value.
#include <cstddef>
#include <string>

#include "daemon/core/workflows/workflow_error.h"

namespace sloth {

struct LocatedString {
  std::string value;
  SourcePosition at;  // where the value (its opening quote) or the key starts
  // Set when the file spells the value character for character (no escape sequences), from
  // `content` on: then PositionOf can point inside it.
  bool verbatim = false;
  SourcePosition content;

  // The position of value[offset] in the file: exact for verbatim strings, `at` otherwise.
  SourcePosition PositionOf(size_t offset) const;
};

}  // namespace sloth
