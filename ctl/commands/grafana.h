#pragma once
// `slothctl metrics grafana <agent>|--all [--watch] [--interval S]` (also `slothctl agent metrics
// grafana`): the terminal dashboard of one agent, or of the fleet. One frame (or the model as
// JSON) by default; with --watch a live view in the alternate screen until `q` or Ctrl-C.
#include <optional>
#include <string>

#include "ctl/global_options.h"

namespace sloth::ctl {

struct MetricsGrafanaArgs {
  std::string agent;  // empty with --all
  bool all = false;   // the fleet: one row per agent the master knows
  bool watch = false;
  double interval_s = 5;
  std::string color = "auto";  // auto|always|never
  std::string graph;           // braille|block|ascii; empty: by locale
};

int MetricsGrafanaCommand(const Context& context, const MetricsGrafanaArgs& args);

}  // namespace sloth::ctl
