#pragma once
// PromQL histogram_quantile() over classic (le-bucketed) histograms, as Prometheus 2.42 computes
// it, and the extraction of per-series bucket lists from a parsed histogram family.
#include <optional>
#include <string>
#include <vector>

#include "ctl/prom/metric_set.h"

namespace sloth::prom {

struct Bucket {
  double upper_bound = 0;  // the `le` label
  double count = 0;        // cumulative
};

// The q-quantile of cumulative `buckets` (any order): Prometheus' bucketQuantile. NaN if q is
// NaN, there is no +Inf bucket, fewer than 2 distinct bounds or no observations; -Inf for q < 0,
// +Inf for q > 1. Buckets with equal bounds are merged (counts added), counts that decrease
// with the bound are raised to the running maximum, the rank q·count(+Inf) is interpolated
// linearly within its bucket (from 0 in the first bucket when its bound is positive; the bound
// itself when it is ≤ 0), and a rank in the +Inf bucket yields the highest finite bound.
// Buckets whose bound is NaN are ignored (Prometheus' result for them is unspecified).
double HistogramQuantile(double q, std::vector<Bucket> buckets);

// One series of a histogram family: the labels other than `le`, its buckets, _sum and _count.
struct HistogramSeries {
  Labels labels;
  std::vector<Bucket> buckets;  // in input order
  std::optional<double> sum;
  std::optional<double> count;
};

// The series of `family` (of any type) from its samples named <family>_bucket, _sum and _count,
// in order of first appearance. A _bucket sample whose `le` is missing or not a number is
// skipped, as Prometheus skips it.
std::vector<HistogramSeries> Histograms(const Family& family);

// PromQL `sum by (<by>, le)`: series grouped by the values of the `by` labels (absent = ""),
// counts of equal bounds, sums and counts added. Order of first appearance.
std::vector<HistogramSeries> SumBy(const std::vector<HistogramSeries>& series, const std::vector<std::string>& by);

}  // namespace sloth::prom
