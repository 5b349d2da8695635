#pragma once
// The dashboard drawn into one frame: a pure function of the model, the terminal size and the
// style. Sections in the original's order: header, system, tasks, task performance, gRPC,
// errors, summary. Every line fits in `cols` (cut, never wrapped); with `rows` set, the frame
// is cut to that many lines, footer kept.
#include <string>

#include "ctl/dashboard/dashboard_model.h"
#include "ctl/dashboard/graphs.h"

namespace sloth::dashboard {

struct FrameStyle {
  bool colour = false;                    // ANSI SGR sequences
  GraphStyle graph = GraphStyle::kBlock;  // bars and sparklines
  bool unicode = true;                    // box rules, "…", "·"; ASCII only when false
  bool emoji = true;                      // 🟢/🟡/🔴 and section icons (needs unicode)
};

struct FrameOptions {
  int cols = 80;
  int rows = 0;  // 0: as many lines as it takes (single view)
  FrameStyle style;
  std::string banner;  // shown under the header when non-empty ("endpoint lost, retrying...")
  std::string footer;  // last line when non-empty ("q quit · every 5s")
};

// Lines separated by "\n", with a final "\n"; no cursor movement.
std::string DashboardFrame(const DashboardModel& model, const FrameOptions& options);

}  // namespace sloth::dashboard
