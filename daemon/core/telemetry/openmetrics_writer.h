#pragma once
// OpenMetrics 1.0 text, written straight into a string: a pure function of the collected
// families and their exemplars. Series names and label values (`le` too) are spelled as the
// 0.0.4 writer spells them, so switching formats never starts new series in Prometheus.
// Counters are announced without their `_total` suffix, untyped families as `unknown`, and the
// text ends with "# EOF" (AppendOpenMetricsEnd).
#include <functional>
#include <string>
#include <string_view>

#include <prometheus/metric_family.h>

namespace sloth {

// What an observation that landed in a histogram bucket carried: the task it came from.
struct Exemplar {
  std::string task_id;
  double value = 0;
  double timestamp_s = 0;  // Unix time of the observation
};

// The exemplar of bucket `bucket` (index into the series' buckets; the +Inf bucket last) of
// `series`, or nullptr.
using ExemplarFinder = std::function<const Exemplar*(const prometheus::ClientMetric& series, size_t bucket)>;

// Appends one family; `exemplars` may be null (no exemplars).
void WriteOpenMetricsFamily(const prometheus::MetricFamily& family, const ExemplarFinder* exemplars, std::string* out);

// Appends only the metadata of a family that has no series yet.
void WriteOpenMetricsFamilyHeader(std::string_view name, std::string_view help, prometheus::MetricType type,
                                  std::string* out);

// Appends one unlabelled sample family (metadata and its one sample).
void WriteOpenMetricsSingleSample(std::string_view name, std::string_view help, prometheus::MetricType type,
                                  double value, std::string* out);

// Appends "# EOF\n", which every OpenMetrics exposition ends with.
void AppendOpenMetricsEnd(std::string* out);

}  // namespace sloth
