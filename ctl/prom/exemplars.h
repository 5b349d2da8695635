#pragma once
// Exemplars of an OpenMetrics exposition: `x_bucket{...} N # {task_id="t-1"} 3.2 1733000000.1`.
// Pure; lines it cannot read are skipped (the scrape itself is parsed elsewhere).
#include <string>
#include <string_view>
#include <vector>

#include "ctl/prom/metric_set.h"

namespace sloth::prom {

struct BucketExemplar {
  Labels series;    // the bucket's labels (le included), sorted by name
  Labels exemplar;  // the exemplar's own labels, sorted by name
  double value = 0;
};

// The exemplars on the `family`_bucket samples of `text`.
std::vector<BucketExemplar> ParseBucketExemplars(std::string_view text, std::string_view family);

}  // namespace sloth::prom
