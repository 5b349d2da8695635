#pragma once
// A dashboard as `slothctl metrics grafana` drives it: refreshed every interval, drawn into a
// frame or printed as JSON. One agent (grafana.cc) or the fleet (fleet_view.h); the command's
// loops (one frame, --watch on a terminal or into a pipe) are the same for both.
// Used by the command's thread only.
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "ctl/dashboard/dashboard_frame.h"

namespace sloth::ctl {

class DashboardView {
 public:
  virtual ~DashboardView() = default;
  // Scrapes again, taking at most about `timeout`; on failure keeps the last good data and
  // says what failed.
  virtual Result<void> Refresh(std::chrono::milliseconds timeout) = 0;
  // Something was scraped at least once.
  virtual bool has_data() const = 0;
  virtual std::string Frame(const dashboard::FrameOptions& options) const = 0;
  virtual nlohmann::json Json() const = 0;
  // The end of the --watch footer ("12 scrapes kept").
  virtual std::string FooterNote() const = 0;
};

}  // namespace sloth::ctl
