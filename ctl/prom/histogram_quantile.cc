#include "ctl/prom/histogram_quantile.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "ctl/prom/text_parser.h"

namespace sloth::prom {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Adds the counts of buckets with equal bounds; `buckets` is sorted by bound.
void MergeEqualBounds(std::vector<Bucket>& buckets) {
  size_t out = 0;
  for (size_t i = 1; i < buckets.size(); ++i) {
    if (buckets[i].upper_bound == buckets[out].upper_bound) {
      buckets[out].count += buckets[i].count;
    } else {
      buckets[++out] = buckets[i];
    }
  }
  buckets.resize(out + 1);
}

// Raises each count to the largest count below it (NaN counts stay, as in Prometheus 2.42).
void EnsureMonotonic(std::vector<Bucket>& buckets) {
  double highest = -kInf;
  for (Bucket& b : buckets) {
    if (b.count > highest) {
      highest = b.count;
    } else if (b.count < highest) {
      b.count = highest;
    }
  }
}

// The first index in [0, n) with buckets[i].count >= rank, by the same bisection as Go's
// sort.Search, so that NaN counts land where Prometheus lands them.
size_t SearchRank(const std::vector<Bucket>& buckets, size_t n, double rank) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (!(buckets[mid].count >= rank)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

Labels WithoutLe(const Labels& labels) {
  Labels out;
  out.reserve(labels.size());
  for (const auto& label : labels) {
    if (label.first != "le") out.push_back(label);
  }
  return out;
}

// Whether `labels` minus its `le` equals `without_le`, without building the copy.
bool EqualWithoutLe(const Labels& labels, const Labels& without_le) {
  size_t j = 0;
  for (const auto& label : labels) {
    if (label.first == "le") continue;
    if (j == without_le.size() || label != without_le[j]) return false;
    ++j;
  }
  return j == without_le.size();
}

}  // namespace

double HistogramQuantile(double q, std::vector<Bucket> buckets) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::erase_if(buckets, [](const Bucket& b) { return std::isnan(b.upper_bound); });
  if (buckets.empty()) return kNaN;
  std::sort(buckets.begin(), buckets.end(),
            [](const Bucket& a, const Bucket& b) { return a.upper_bound < b.upper_bound; });
  if (buckets.back().upper_bound != kInf) return kNaN;
  MergeEqualBounds(buckets);
  EnsureMonotonic(buckets);
  if (buckets.size() < 2) return kNaN;
  const double observations = buckets.back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  const size_t b = SearchRank(buckets, buckets.size() - 1, rank);
  if (b == buckets.size() - 1) return buckets[buckets.size() - 2].upper_bound;
  if (b == 0 && buckets[0].upper_bound <= 0) return buckets[0].upper_bound;
  double start = 0;
  const double end = buckets[b].upper_bound;
  double count = buckets[b].count;
  if (b > 0) {
    start = buckets[b - 1].upper_bound;
    count -= buckets[b - 1].count;
    rank -= buckets[b - 1].count;
  }
  return start + (end - start) * (rank / count);
}

std::vector<HistogramSeries> Histograms(const Family& family) {
  const std::string bucket_name = family.name + "_bucket";
  const std::string sum_name = family.name + "_sum";
  const std::string count_name = family.name + "_count";
  std::vector<HistogramSeries> out;
  std::map<Labels, size_t> index;
  size_t last = 0;  // a series' samples are usually adjacent: try the previous one first
  auto series_for = [&](const Labels& labels, bool has_le) -> HistogramSeries& {
    if (last < out.size() && (has_le ? EqualWithoutLe(labels, out[last].labels) : labels == out[last].labels)) {
      return out[last];
    }
    Labels key = has_le ? WithoutLe(labels) : labels;
    auto [it, inserted] = index.try_emplace(key, out.size());
    if (inserted) out.push_back(HistogramSeries{std::move(key), {}, {}, {}});
    last = it->second;
    return out[last];
  };
  for (const Sample& s : family.samples) {
    if (s.name == bucket_name) {
      const auto le = LabelValue(s.labels, "le");
      if (!le) continue;
      const auto bound = ParseFloatValue(*le);
      if (!bound) continue;
      series_for(s.labels, true).buckets.push_back(Bucket{*bound, s.value});
    } else if (s.name == sum_name) {
      series_for(s.labels, false).sum = s.value;
    } else if (s.name == count_name) {
      series_for(s.labels, false).count = s.value;
    }
  }
  return out;
}

std::vector<HistogramSeries> SumBy(const std::vector<HistogramSeries>& series, const std::vector<std::string>& by) {
  std::vector<HistogramSeries> out;
  std::map<Labels, size_t> index;
  for (const HistogramSeries& s : series) {
    Labels key;
    for (const std::string& name : by) {
      if (name == "le") continue;
      key.emplace_back(name, std::string(LabelValue(s.labels, name).value_or("")));
    }
    std::sort(key.begin(), key.end());
    key.erase(std::unique(key.begin(), key.end()), key.end());
    std::erase_if(key, [](const auto& label) { return label.second.empty(); });  // PromQL drops empty labels
    auto [it, inserted] = index.try_emplace(key, out.size());
    if (inserted) out.push_back(HistogramSeries{key, {}, {}, {}});
    HistogramSeries& group = out[it->second];
    for (const Bucket& b : s.buckets) {
      auto same = std::find_if(group.buckets.begin(), group.buckets.end(),
                               [&](const Bucket& g) { return g.upper_bound == b.upper_bound; });
      if (same == group.buckets.end()) {
        group.buckets.push_back(b);
      } else {
        same->count += b.count;
      }
    }
    if (s.sum) group.sum = group.sum.value_or(0) + *s.sum;
    if (s.count) group.count = group.count.value_or(0) + *s.count;
  }
  return out;
}

}  // namespace sloth::prom
