#include "ctl/dashboard/graphs.h"

#include <algorithm>
#include <cmath>

namespace sloth::dashboard {
namespace {

constexpr const char* kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
constexpr const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
constexpr char kAsciiLevels[] = " .:-=+*#";

// Appends the UTF-8 encoding of a braille pattern (U+2800 + dots).
void AppendBraille(std::string& out, unsigned dots) {
  const char32_t cp = 0x2800 + dots;
  out += static_cast<char>(0xE0 | (cp >> 12));
  out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out += static_cast<char>(0x80 | (cp & 0x3F));
}

// Braille dots filling a column from the bottom to `level` (0..4); left or right column.
unsigned BrailleColumn(int level, bool right) {
  static constexpr unsigned kLeft[] = {0x40, 0x04, 0x02, 0x01};   // dots 7,3,2,1
  static constexpr unsigned kRight[] = {0x80, 0x20, 0x10, 0x08};  // dots 8,6,5,4
  unsigned dots = 0;
  for (int i = 0; i < level && i < 4; ++i) dots |= right ? kRight[i] : kLeft[i];
  return dots;
}

}  // namespace

const char* GraphStyleName(GraphStyle style) {
  switch (style) {
    case GraphStyle::kBraille: return "braille";
    case GraphStyle::kBlock: return "block";
    case GraphStyle::kAscii: return "ascii";
  }
  return "ascii";
}

std::string Bar(double ratio, int width, GraphStyle style) {
  if (width <= 0) return {};
  if (std::isnan(ratio)) ratio = 0;
  ratio = std::clamp(ratio, 0.0, 1.0);
  std::string out;
  switch (style) {
    case GraphStyle::kBlock: {
      const int eighths = static_cast<int>(std::lround(ratio * width * 8));
      const int full = eighths / 8;
      for (int i = 0; i < full; ++i) out += "█";
      int cells = full;
      if (full < width && eighths % 8) {
        out += kEighths[eighths % 8];
        ++cells;
      }
      for (; cells < width; ++cells) out += "░";
      break;
    }
    case GraphStyle::kBraille: {
      const int halves = static_cast<int>(std::lround(ratio * width * 2));
      for (int i = 0; i < width; ++i) {
        const int filled = std::clamp(halves - 2 * i, 0, 2);
        if (filled == 2)
          out += "⣿";
        else if (filled == 1)
          out += "⡇";
        else
          out += "⣀";
      }
      break;
    }
    case GraphStyle::kAscii: {
      const int full = static_cast<int>(std::lround(ratio * width));
      out.append(static_cast<size_t>(full), '#');
      out.append(static_cast<size_t>(width - full), '-');
      break;
    }
  }
  return out;
}

std::string Sparkline(const std::vector<double>& values, int width, GraphStyle style, bool from_minimum) {
  if (values.empty() || width <= 0) return {};
  const size_t per_cell = style == GraphStyle::kBraille ? 2 : 1;
  const size_t shown = std::min(values.size(), static_cast<size_t>(width) * per_cell);
  const auto first = values.end() - static_cast<std::ptrdiff_t>(shown);
  double top = 0;
  double bottom = 0;
  bool any = false;
  for (auto it = first; it != values.end(); ++it) {
    if (!std::isfinite(*it)) continue;
    top = any ? std::max(top, *it) : *it;
    bottom = any ? std::min(bottom, *it) : *it;
    any = true;
  }
  if (!from_minimum || top == bottom) bottom = std::min(bottom, 0.0);
  if (!from_minimum) top = std::max(top, 0.0);
  // A level from 0 to `levels`; anything above the bottom shows at least the lowest mark; a
  // flat gauge shows at mid height.
  auto level = [&](double v, int levels) {
    if (!std::isfinite(v)) return 0;
    if (from_minimum && top == bottom) return (levels + 1) / 2;
    if (v <= bottom || top <= bottom) return 0;
    return std::clamp(static_cast<int>(std::ceil((v - bottom) / (top - bottom) * levels)), 1, levels);
  };
  std::string out;
  switch (style) {
    case GraphStyle::kBraille: {
      size_t i = 0;
      if (shown % 2 == 1) {  // an odd count: the first cell holds one value, on its right
        AppendBraille(out, BrailleColumn(level(first[0], 4), true));
        i = 1;
      }
      for (; i < shown; i += 2) {
        AppendBraille(out, BrailleColumn(level(first[i], 4), false) | BrailleColumn(level(first[i + 1], 4), true));
      }
      break;
    }
    case GraphStyle::kBlock:
      for (auto it = first; it != values.end(); ++it) out += kBlocks[std::max(0, level(*it, 8) - 1)];
      break;
    case GraphStyle::kAscii:
      for (auto it = first; it != values.end(); ++it) out += kAsciiLevels[level(*it, 7)];
      break;
  }
  return out;
}

}  // namespace sloth::dashboard
