#pragma once
// The registry both HTTP benchmarks serve: N task series over 10 groups, durations spread over
// the bucket range (a few in +Inf) — with N = 100, ≈1,500 exposition lines.
#include <string>

#include "daemon/core/telemetry/telemetry.h"

namespace sloth::bench {

inline void FillTaskSeries(Telemetry& telemetry, int n) {
  for (int i = 0; i < n; ++i) {
    const std::string group = "group-" + std::to_string(i % 10);
    const std::string task = "task-" + std::to_string(i);
    for (int k = 0; k < 3; ++k) {
      const double seconds = 0.003 * static_cast<double>((i * 7 + k * 13) % 97 + 1) * (1 + (i % 5) * 10);
      telemetry.TaskStarted();
      telemetry.TaskFinished(group, task, "success", seconds, false);
    }
  }
}

}  // namespace sloth::bench
