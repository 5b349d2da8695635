#pragma once
// Rates over the dashboard's watch history: counters with resets, and histograms between two
// scrapes. Pure; the caller passes the scrape times in.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ctl/prom/histogram_quantile.h"
#include "ctl/prom/metric_set.h"

namespace sloth::prom {

struct Point {
  double time_s = 0;  // seconds on any clock; only differences matter
  double value = 0;
};

// PromQL increase() without extrapolation: last − first, plus the value before every drop (a
// drop is a counter reset, after which the counter counted up from 0 to the new value).
// nullopt with fewer than 2 points.
std::optional<double> CounterIncrease(std::span<const Point> points);

// CounterIncrease per second of the time the points span; nullopt with fewer than 2 points or
// when they span no time.
std::optional<double> CounterRate(std::span<const Point> points);

// A series' identity in the History: name{label="value",...} with labels sorted, escaped like the
// exposition so that two different label sets never share a key.
std::string SeriesKey(std::string_view name, const Labels& labels);

// The last `capacity` points of every series seen in the recorded scrapes. A series absent from
// `capacity` scrapes in a row is forgotten, so memory stays bounded by (live series × capacity).
// Owned by one thread (the dashboard's).
class History {
 public:
  explicit History(size_t capacity);

  // Adds every sample of `scrape` (counters, gauges, buckets, ...) at `time_s`.
  void Record(double time_s, const MetricSet& scrape);
  // Adds one point; a point not later than the series' newest one is ignored.
  void Add(const std::string& key, Point point);
  // The points of `key`, oldest first; empty if unknown.
  std::vector<Point> Points(std::string_view key) const;

  size_t series_count() const { return series_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  struct Ring {
    std::vector<Point> points;  // circular once full
    size_t next = 0;            // where the next point goes
    uint64_t last_scrape = 0;   // scrape_ when last added to
  };
  size_t capacity_;
  uint64_t scrape_ = 0;
  std::unordered_map<std::string, Ring> series_;
};

// The observations made between two scrapes of one histogram series: `after` − `before` per
// bucket bound, for _sum and for _count. If any bucket or the count went down, the series was
// reset in between and `after` itself is the delta (it counted from zero since the reset) — the
// same choice increase() makes, without extrapolation. Buckets only in `before` are dropped;
// buckets new in `after` count from zero. Labels are taken from `after`.
HistogramSeries HistogramDelta(const HistogramSeries& before, const HistogramSeries& after);

}  // namespace sloth::prom
