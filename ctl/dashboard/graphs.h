#pragma once
// Bars and sparklines drawn with braille, block elements or plain ASCII. Pure.
#include <string>
#include <vector>

namespace sloth::dashboard {

enum class GraphStyle { kBraille, kBlock, kAscii };

// "braille", "block", "ascii".
const char* GraphStyleName(GraphStyle style);

// A horizontal bar `width` cells wide filled to `ratio` (clamped to [0, 1]; NaN: empty).
std::string Bar(double ratio, int width, GraphStyle style);

// The last values of `values` that fit in `width` cells (braille packs two per cell), scaled
// from 0 (rates) or, with `from_minimum`, from the smallest value shown (gauges such as
// memory, whose changes would not show against 0) to the largest; empty when `values` is.
std::string Sparkline(const std::vector<double>& values, int width, GraphStyle style, bool from_minimum = false);

}  // namespace sloth::dashboard
