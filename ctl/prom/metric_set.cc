#include "ctl/prom/metric_set.h"

#include <algorithm>
#include <array>

namespace sloth::prom {

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
    case MetricType::kSummary: return "summary";
    case MetricType::kUntyped: break;
  }
  return "untyped";
}

const Family* MetricSet::Find(std::string_view name) const {
  for (const Family& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::optional<double> MetricSet::Value(std::string_view sample_name, const Labels& labels) const {
  Labels wanted = labels;
  std::sort(wanted.begin(), wanted.end());
  // The sample lives in the family of its own name or, for a suffix, in the family of its base.
  std::array<std::string_view, 2> homes = {sample_name, {}};
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (sample_name.size() > suffix.size() && sample_name.ends_with(suffix)) {
      homes[1] = sample_name.substr(0, sample_name.size() - suffix.size());
    }
  }
  for (std::string_view home : homes) {
    if (home.empty()) continue;
    const Family* f = Find(home);
    if (f == nullptr) continue;
    for (const Sample& s : f->samples) {
      if (s.name == sample_name && s.labels == wanted) return s.value;
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> LabelValue(const Labels& labels, std::string_view name) {
  for (const auto& [key, value] : labels) {
    if (key == name) return value;
  }
  return std::nullopt;
}

}  // namespace sloth::prom
