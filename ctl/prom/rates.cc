#include "ctl/prom/rates.h"

#include <algorithm>

namespace sloth::prom {

std::optional<double> CounterIncrease(std::span<const Point> points) {
  if (points.size() < 2) return std::nullopt;
  double increase = points.back().value - points.front().value;
  for (size_t i = 1; i < points.size(); ++i) {
    if (points[i].value < points[i - 1].value) increase += points[i - 1].value;
  }
  return increase;
}

std::optional<double> CounterRate(std::span<const Point> points) {
  const auto increase = CounterIncrease(points);
  if (!increase) return std::nullopt;
  const double span = points.back().time_s - points.front().time_s;
  if (!(span > 0)) return std::nullopt;
  return *increase / span;
}

std::string SeriesKey(std::string_view name, const Labels& labels) {
  std::string key(name);
  if (labels.empty()) return key;
  key += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) key += ',';
    key += labels[i].first;
    key += "=\"";
    for (char c : labels[i].second) {
      if (c == '\\' || c == '"') key += '\\';
      if (c == '\n') {
        key += "\\n";
      } else {
        key += c;
      }
    }
    key += '"';
  }
  key += '}';
  return key;
}

History::History(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

void History::Record(double time_s, const MetricSet& scrape) {
  ++scrape_;
  for (const Family& family : scrape.families) {
    for (const Sample& sample : family.samples) Add(SeriesKey(sample.name, sample.labels), {time_s, sample.value});
  }
  std::erase_if(series_, [&](const auto& entry) { return entry.second.last_scrape + capacity_ <= scrape_; });
}

void History::Add(const std::string& key, Point point) {
  Ring& ring = series_[key];
  ring.last_scrape = scrape_;
  if (!ring.points.empty()) {
    const size_t newest = (ring.next + ring.points.size() - 1) % ring.points.size();
    if (!(point.time_s > ring.points[newest].time_s)) return;
  }
  if (ring.points.size() < capacity_) {
    ring.points.push_back(point);
    ring.next = ring.points.size() % capacity_;
  } else {
    ring.points[ring.next] = point;
    ring.next = (ring.next + 1) % capacity_;
  }
}

std::vector<Point> History::Points(std::string_view key) const {
  auto it = series_.find(std::string(key));
  if (it == series_.end()) return {};
  const Ring& ring = it->second;
  std::vector<Point> out;
  out.reserve(ring.points.size());
  const size_t start = ring.points.size() < capacity_ ? 0 : ring.next;
  for (size_t i = 0; i < ring.points.size(); ++i) out.push_back(ring.points[(start + i) % ring.points.size()]);
  return out;
}

HistogramSeries HistogramDelta(const HistogramSeries& before, const HistogramSeries& after) {
  HistogramSeries delta{after.labels, {}, {}, {}};
  delta.buckets.reserve(after.buckets.size());
  for (const Bucket& b : after.buckets) {
    auto old = std::find_if(before.buckets.begin(), before.buckets.end(),
                            [&](const Bucket& o) { return o.upper_bound == b.upper_bound; });
    const double was = old == before.buckets.end() ? 0 : old->count;
    if (b.count < was) return after;
    delta.buckets.push_back(Bucket{b.upper_bound, b.count - was});
  }
  if (after.count && before.count) {
    if (*after.count < *before.count) return after;
    delta.count = *after.count - *before.count;
  } else {
    delta.count = after.count;
  }
  if (after.sum) delta.sum = before.sum ? *after.sum - *before.sum : *after.sum;
  return delta;
}

}  // namespace sloth::prom
