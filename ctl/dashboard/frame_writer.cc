#include "ctl/dashboard/frame_writer.h"

namespace sloth::dashboard {

std::string FrameWriter::Finish() {
  std::vector<std::string> lines = std::move(lines_);
  if (!options_.footer.empty()) {
    lines.push_back(Paint(FitToWidth(options_.footer, cols_, style_.unicode), Tone::kDim));
  }
  if (options_.rows > 0 && static_cast<int>(lines.size()) > options_.rows) {
    // Keep the top, say how much is hidden, keep the footer.
    const bool footer = !options_.footer.empty();
    const size_t keep = static_cast<size_t>(std::max(options_.rows - 1 - (footer ? 1 : 0), 0));
    const size_t hidden = lines.size() - keep - (footer ? 1 : 0);
    std::vector<std::string> cut(lines.begin(), lines.begin() + static_cast<std::ptrdiff_t>(keep));
    if (options_.rows > 1 || !footer) {
      cut.push_back(
          Paint(FitToWidth(fmt::format("{} {} more lines: enlarge the window", style_.unicode ? "…" : "...", hidden),
                           cols_, style_.unicode),
                Tone::kDim));
    }
    if (footer) cut.push_back(lines.back());
    if (static_cast<int>(cut.size()) > options_.rows) cut.resize(static_cast<size_t>(options_.rows));
    lines = std::move(cut);
  }
  std::string out;
  for (const auto& line : lines) {
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace sloth::dashboard
