// libFuzzer target: PromTextParser on arbitrary bytes, then every histogram it finds through
// Histograms/HistogramQuantile/HistogramDelta and every sample through History and the rates.
// Besides the sanitizers, it checks invariants a caller relies on.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ctl/prom/histogram_quantile.h"
#include "ctl/prom/rates.h"
#include "ctl/prom/text_parser.h"

namespace {

using namespace sloth::prom;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// For well-formed buckets the quantile lies between the lowest bound (or 0) and the highest
// finite bound.
void CheckQuantileRange(const std::vector<Bucket>& buckets, double q, double result) {
  if (std::isnan(result) || q < 0 || q > 1) return;
  double lowest = INFINITY, highest = -INFINITY;
  for (const Bucket& b : buckets) {
    if (!std::isfinite(b.count) || b.count < 0) return;
    if (std::isnan(b.upper_bound) || b.upper_bound == -INFINITY) return;
    if (b.upper_bound == INFINITY) continue;
    lowest = std::min(lowest, b.upper_bound);
    highest = std::max(highest, b.upper_bound);
  }
  if (!std::isfinite(lowest) || std::abs(lowest) > 1e300 || std::abs(highest) > 1e300) return;
  Check(result >= std::min(lowest, 0.0) && result <= highest);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseResult result = PromTextParser::Parse(text);
  if (const auto* error = std::get_if<ParseError>(&result)) {
    Check(error->line >= 1 && error->column >= 1);
    Check(error->message.starts_with("line " + std::to_string(error->line) + ": "));
    Check(error->message.ends_with(" at column " + std::to_string(error->column)));
    return 0;
  }
  const MetricSet& set = std::get<MetricSet>(result);
  History history(4);
  history.Record(1, set);
  history.Record(2, set);
  for (const Family& family : set.families) {
    Check(set.Find(family.name) == &family);
    for (const Sample& sample : family.samples) {
      for (size_t i = 1; i < sample.labels.size(); ++i) Check(sample.labels[i - 1].first < sample.labels[i].first);
      const auto points = history.Points(SeriesKey(sample.name, sample.labels));
      Check(!points.empty() && points.size() <= 2);
      (void)CounterRate(points);
    }
    const auto series = Histograms(family);
    for (const HistogramSeries& s : series) {
      for (double q : {-1.0, 0.0, 0.25, 0.5, 0.9, 0.99, 1.0, 2.0}) {
        const double v = HistogramQuantile(q, s.buckets);
        if (q < 0) Check(v == -INFINITY);
        if (q > 1) Check(v == INFINITY);
        CheckQuantileRange(s.buckets, q, v);
      }
      (void)HistogramQuantile(0.5, HistogramDelta(s, s).buckets);
    }
    if (!series.empty()) (void)SumBy(series, {"task"});
  }
  return 0;
}
