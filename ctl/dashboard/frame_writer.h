#pragma once
// Builds a terminal frame line by line, with the style decisions in one place (colour, glyphs,
// widths): shared by the agent's dashboard (dashboard_frame.h) and the fleet's (fleet_frame.h).
// Pure.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "ctl/dashboard/dashboard_frame.h"
#include "ctl/dashboard/text_cells.h"

namespace sloth::dashboard {

enum class Tone { kPlain, kHeading, kGood, kWarn, kBad, kDim, kBanner };

// Builds a frame line by line; owns the style decisions (colour, glyphs, widths).
class FrameWriter {
 public:
  explicit FrameWriter(const FrameOptions& options)
      : options_(options), style_(options.style), cols_(std::max(options.cols, 1)) {
    if (!style_.unicode) {
      style_.emoji = false;
      if (style_.graph != GraphStyle::kAscii) style_.graph = GraphStyle::kAscii;
    }
  }

  int cols() const { return cols_; }
  const FrameStyle& style() const { return style_; }

  std::string Paint(std::string_view text, Tone tone) const {
    if (!style_.colour || tone == Tone::kPlain || text.empty()) return std::string(text);
    const char* sgr = "";
    switch (tone) {
      case Tone::kHeading: sgr = "1;36"; break;
      case Tone::kGood: sgr = "32"; break;
      case Tone::kWarn: sgr = "33"; break;
      case Tone::kBad: sgr = "1;31"; break;
      case Tone::kDim: sgr = "2"; break;
      case Tone::kBanner: sgr = "1;97;41"; break;
      case Tone::kPlain: break;
    }
    return fmt::format("\x1b[{}m{}\x1b[0m", sgr, text);
  }

  // The emoji followed by a space, or "" without emoji.
  std::string Icon(std::string_view emoji) const { return style_.emoji ? std::string(emoji) + " " : std::string(); }
  const char* Dot() const { return style_.unicode ? " · " : " | "; }

  void Line(std::string_view text) {
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    lines_.push_back(FitToWidth(text, cols_, style_.unicode));
  }
  void Blank() { lines_.emplace_back(); }

  // "── 💻 System ────────" across the width.
  void Section(std::string_view emoji, std::string_view title) {
    const std::string rule_char = style_.unicode ? "─" : "-";
    std::string text = rule_char + rule_char + " " + Icon(emoji) + std::string(title) + " ";
    const int fill = cols_ - DisplayWidth(text);
    for (int i = 0; i < fill; ++i) text += rule_char;
    Blank();
    lines_.push_back(Paint(FitToWidth(text, cols_, style_.unicode), Tone::kHeading));
  }

  // `left` and `right` on one line, `right` flush right when both fit; else only `left`.
  void Spread(const std::string& left, const std::string& right) {
    const int gap = cols_ - DisplayWidth(left) - DisplayWidth(right);
    if (gap >= 2) {
      Line(left + std::string(static_cast<size_t>(gap), ' ') + right);
    } else {
      Line(left);
    }
  }

  // The lines so far, with the footer, cut to `rows` when set; "\n" after each.
  std::string Finish();

 private:
  const FrameOptions& options_;
  FrameStyle style_;
  int cols_;
  std::vector<std::string> lines_;
};

}  // namespace sloth::dashboard
