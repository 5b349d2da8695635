#include "daemon/core/telemetry/openmetrics_writer.h"

#include <charconv>
#include <cmath>

#include "daemon/core/telemetry/exposition_writer.h"

namespace sloth {
namespace {

constexpr std::string_view kTotal = "_total";

std::string_view TypeName(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter: return "counter";
    case prometheus::MetricType::Gauge: return "gauge";
    case prometheus::MetricType::Histogram: return "histogram";
    case prometheus::MetricType::Summary: return "summary";
    case prometheus::MetricType::Untyped: return "unknown";
  }
  return "unknown";
}

// The family's name in metadata: a counter's without "_total" (its sample keeps it).
std::string_view MetadataName(std::string_view name, prometheus::MetricType type) {
  if (type == prometheus::MetricType::Counter && name.ends_with(kTotal)) name.remove_suffix(kTotal.size());
  return name;
}

// OpenMetrics escapes the quote in HELP too, unlike 0.0.4.
void AppendEscapedHelp(std::string_view help, std::string* out) { AppendEscapedLabelValue(help, out); }

void AppendMetadata(std::string_view name, std::string_view help, prometheus::MetricType type, std::string* out) {
  const std::string_view family = MetadataName(name, type);
  out->append("# TYPE ").append(family).push_back(' ');
  out->append(TypeName(type)).push_back('\n');
  out->append("# HELP ").append(family).push_back(' ');
  AppendEscapedHelp(help, out);
  out->push_back('\n');
}

// A counter's sample name: the family's metadata name and "_total".
std::string CounterSampleName(std::string_view name) {
  return std::string(MetadataName(name, prometheus::MetricType::Counter)).append(kTotal);
}

void AppendTimestampSeconds(int64_t timestamp_ms, std::string* out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, static_cast<double>(timestamp_ms) / 1000.0);
  out->push_back(' ');
  out->append(buf, r.ptr);
}

void AppendSample(std::string_view name, std::string_view suffix, const std::string& open_labels, double value,
                  int64_t timestamp_ms, std::string* out) {
  out->append(name).append(suffix);
  if (!open_labels.empty()) out->append(open_labels).push_back('}');
  out->push_back(' ');
  AppendValue(value, out);
  if (timestamp_ms != 0) AppendTimestampSeconds(timestamp_ms, out);
  out->push_back('\n');
}

void AppendExemplar(const Exemplar& exemplar, std::string* out) {
  out->append(" # {task_id=\"");
  AppendEscapedLabelValue(exemplar.task_id, out);
  out->append("\"} ");
  AppendValue(exemplar.value, out);
  if (exemplar.timestamp_s > 0) {
    char buf[32];
    // Milliseconds are all Prometheus keeps of an exemplar's time.
    auto r = std::to_chars(buf, buf + sizeof buf, std::round(exemplar.timestamp_s * 1000.0) / 1000.0,
                           std::chars_format::fixed, 3);
    out->push_back(' ');
    out->append(buf, r.ptr);
  }
}

void AppendBucket(std::string_view name, const std::string& open_labels, double upper_bound, double count,
                  const Exemplar* exemplar, std::string* out) {
  AppendSeriesWithExtraLabel(name, "_bucket", open_labels, "le", upper_bound, out);
  out->push_back(' ');
  AppendValue(count, out);
  if (exemplar) AppendExemplar(*exemplar, out);
  out->push_back('\n');
}

}  // namespace

void WriteOpenMetricsFamily(const prometheus::MetricFamily& family, const ExemplarFinder* exemplars, std::string* out) {
  AppendMetadata(family.name, family.help, family.type, out);
  const std::string counter_name =
      family.type == prometheus::MetricType::Counter ? CounterSampleName(family.name) : std::string();
  for (const auto& metric : family.metric) {
    const std::string labels = OpenLabelSet(metric.label);
    switch (family.type) {
      case prometheus::MetricType::Counter:
        AppendSample(counter_name, "", labels, metric.counter.value, metric.timestamp_ms, out);
        break;
      case prometheus::MetricType::Gauge:
        AppendSample(family.name, "", labels, metric.gauge.value, metric.timestamp_ms, out);
        break;
      case prometheus::MetricType::Untyped:
        AppendSample(family.name, "", labels, metric.untyped.value, metric.timestamp_ms, out);
        break;
      case prometheus::MetricType::Histogram: {
        const auto& buckets = metric.histogram.bucket;
        bool has_inf = false;
        for (size_t i = 0; i < buckets.size(); ++i) {
          has_inf = has_inf || std::isinf(buckets[i].upper_bound);
          const Exemplar* e = exemplars ? (*exemplars)(metric, i) : nullptr;
          AppendBucket(family.name, labels, buckets[i].upper_bound, static_cast<double>(buckets[i].cumulative_count), e,
                       out);
        }
        if (!has_inf) {
          const Exemplar* e = exemplars ? (*exemplars)(metric, buckets.size()) : nullptr;
          AppendBucket(family.name, labels, INFINITY, static_cast<double>(metric.histogram.sample_count), e, out);
        }
        AppendSample(family.name, "_count", labels, static_cast<double>(metric.histogram.sample_count),
                     metric.timestamp_ms, out);
        AppendSample(family.name, "_sum", labels, metric.histogram.sample_sum, metric.timestamp_ms, out);
        break;
      }
      case prometheus::MetricType::Summary:
        for (const auto& q : metric.summary.quantile) {
          AppendSeriesWithExtraLabel(family.name, "", labels, "quantile", q.quantile, out);
          out->push_back(' ');
          AppendValue(q.value, out);
          out->push_back('\n');
        }
        AppendSample(family.name, "_count", labels, static_cast<double>(metric.summary.sample_count),
                     metric.timestamp_ms, out);
        AppendSample(family.name, "_sum", labels, metric.summary.sample_sum, metric.timestamp_ms, out);
        break;
    }
  }
}

void WriteOpenMetricsFamilyHeader(std::string_view name, std::string_view help, prometheus::MetricType type,
                                  std::string* out) {
  AppendMetadata(name, help, type, out);
}

void WriteOpenMetricsSingleSample(std::string_view name, std::string_view help, prometheus::MetricType type,
                                  double value, std::string* out) {
  AppendMetadata(name, help, type, out);
  out->append(type == prometheus::MetricType::Counter ? CounterSampleName(name) : std::string(name)).push_back(' ');
  AppendValue(value, out);
  out->push_back('\n');
}

void AppendOpenMetricsEnd(std::string* out) { out->append("# EOF\n"); }

}  // namespace sloth
