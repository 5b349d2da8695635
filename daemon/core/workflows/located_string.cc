#include "daemon/core/workflows/located_string.h"

namespace sloth {

SourcePosition LocatedString::PositionOf(size_t offset) const {
  if (!verbatim || offset > value.size()) return at;
  SourcePosition p = content;
  for (size_t i = 0; i < offset; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c == '\n') {
      ++p.line;
      p.column = 1;
    } else if ((c & 0xC0) != 0x80) {  // not a UTF-8 continuation byte: a new character
      ++p.column;
    }
  }
  return p;
}

}  // namespace sloth
