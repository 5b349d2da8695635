#pragma once
// The model of one Prometheus scrape: families of samples, as the text format describes them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sloth::prom {

using Labels = std::vector<std::pair<std::string, std::string>>;  // sorted by name, names unique

enum class MetricType { kCounter, kGauge, kHistogram, kSummary, kUntyped };

// "counter", "gauge", "histogram", "summary", "untyped".
std::string_view MetricTypeName(MetricType type);

struct Sample {
  std::string name;  // the full name, e.g. "x_bucket" inside family "x"
  Labels labels;
  double value = 0;
  std::optional<int64_t> timestamp_ms;
};

struct Family {
  std::string name;
  std::string help;  // unescaped
  MetricType type = MetricType::kUntyped;
  std::vector<Sample> samples;  // in input order
};

struct MetricSet {
  std::vector<Family> families;  // in order of first appearance

  // The family called `name` (not a sample name such as "x_bucket"), or nullptr.
  const Family* Find(std::string_view name) const;
  // The value of the sample with exactly this name and label set (any order), or nullopt.
  std::optional<double> Value(std::string_view sample_name, const Labels& labels = {}) const;
};

// The value of label `name` in `labels`, or nullopt.
std::optional<std::string_view> LabelValue(const Labels& labels, std::string_view name);

}  // namespace sloth::prom
