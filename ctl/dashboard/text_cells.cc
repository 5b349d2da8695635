#include "ctl/dashboard/text_cells.h"

#include <cstdint>

namespace sloth::dashboard {
namespace {

// Decodes one UTF-8 character at `i`; returns its length (1 for an invalid byte).
size_t Decode(std::string_view s, size_t i, char32_t* cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t len = 1;
  char32_t value = b;
  if (b >= 0xF0 && b < 0xF8) {
    len = 4;
    value = b & 0x07;
  } else if (b >= 0xE0) {
    len = 3;
    value = b & 0x0F;
  } else if (b >= 0xC0) {
    len = 2;
    value = b & 0x1F;
  } else {
    *cp = b;
    return 1;
  }
  if (i + len > s.size()) {
    *cp = 0xFFFD;
    return 1;
  }
  for (size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) {
      *cp = 0xFFFD;
      return 1;
    }
    value = (value << 6) | (c & 0x3F);
  }
  *cp = value;
  return len;
}

int CharWidth(char32_t cp) {
  if (cp == 0x200D || (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0x0300 && cp <= 0x036F)) return 0;
  if (cp < 0x20 || cp == 0x7F) return 0;
  if ((cp >= 0x1F300 && cp <= 0x1FAFF) || (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      cp == 0x231A || cp == 0x231B || cp == 0x23F3 || (cp >= 0x23E9 && cp <= 0x23EC) || cp == 0x2705 || cp == 0x274C ||
      cp == 0x26A1 || cp == 0x2B50 || cp == 0x26D4 || cp == 0x2753 || cp == 0x2757 || cp == 0x26AA || cp == 0x26AB ||
      cp == 0x23F8 || cp == 0x23F9 || cp == 0x23FA) {
    return 2;
  }
  return 1;
}

// Length of the escape sequence starting at `i` (an ESC), or 0 if none.
size_t EscapeLength(std::string_view s, size_t i) {
  if (s[i] != '\x1b' || i + 1 >= s.size() || s[i + 1] != '[') return 0;
  size_t j = i + 2;
  while (j < s.size() && !(s[j] >= 0x40 && s[j] <= 0x7E)) ++j;
  return j < s.size() ? j - i + 1 : s.size() - i;
}

}  // namespace

int DisplayWidth(std::string_view text) {
  int width = 0;
  for (size_t i = 0; i < text.size();) {
    if (size_t esc = EscapeLength(text, i)) {
      i += esc;
      continue;
    }
    char32_t cp;
    i += Decode(text, i, &cp);
    width += CharWidth(cp);
  }
  return width;
}

std::string FitToWidth(std::string_view text, int width, bool unicode) {
  if (width <= 0) return {};
  if (DisplayWidth(text) <= width) return std::string(text);
  const int budget = width - 1;  // room for the ellipsis
  std::string out;
  bool styled = false;
  int used = 0;
  for (size_t i = 0; i < text.size();) {
    if (size_t esc = EscapeLength(text, i)) {
      out.append(text.substr(i, esc));
      styled = true;
      i += esc;
      continue;
    }
    char32_t cp;
    const size_t len = Decode(text, i, &cp);
    const int w = CharWidth(cp);
    if (used + w > budget) break;
    out.append(text.substr(i, len));
    used += w;
    i += len;
  }
  while (used < budget) {  // a wide character that did not fit leaves a gap
    out += ' ';
    ++used;
  }
  out += unicode ? "…" : "~";
  if (styled) out += "\x1b[0m";
  return out;
}

std::string PadRight(std::string_view text, int width, bool unicode) {
  std::string out = FitToWidth(text, width, unicode);
  const int w = DisplayWidth(out);
  if (w < width) out.append(static_cast<size_t>(width - w), ' ');
  return out;
}

std::string PadLeft(std::string_view text, int width, bool unicode) {
  std::string out = FitToWidth(text, width, unicode);
  const int w = DisplayWidth(out);
  if (w < width) out.insert(0, static_cast<size_t>(width - w), ' ');
  return out;
}

}  // namespace sloth::dashboard
