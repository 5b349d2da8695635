#include "daemon/core/telemetry/exposition_writer.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace sloth {
namespace {

void AppendEscapedHelp(std::string_view help, std::string* out) {
  for (char c : help) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

std::string_view TypeName(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter: return "counter";
    case prometheus::MetricType::Gauge: return "gauge";
    case prometheus::MetricType::Histogram: return "histogram";
    case prometheus::MetricType::Summary: return "summary";
    case prometheus::MetricType::Untyped: return "untyped";
  }
  return "untyped";
}

void AppendHeader(std::string_view name, std::string_view help, std::string_view type, std::string* out) {
  out->append("# HELP ").append(name).push_back(' ');
  AppendEscapedHelp(help, out);
  out->append("\n# TYPE ").append(name).push_back(' ');
  out->append(type).push_back('\n');
}

void AppendSample(std::string_view name, std::string_view suffix, const std::string& open_labels, double value,
                  int64_t timestamp_ms, std::string* out) {
  out->append(name).append(suffix);
  if (!open_labels.empty()) out->append(open_labels).push_back('}');
  out->push_back(' ');
  AppendValue(value, out);
  if (timestamp_ms != 0) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, timestamp_ms);
    out->push_back(' ');
    out->append(buf, r.ptr);
  }
  out->push_back('\n');
}

// A sample with one extra label (`le` or `quantile`) after the series' own labels.
void AppendSampleWithExtraLabel(std::string_view name, std::string_view suffix, const std::string& open_labels,
                                std::string_view extra_name, double extra_value, double value, std::string* out) {
  AppendSeriesWithExtraLabel(name, suffix, open_labels, extra_name, extra_value, out);
  out->push_back(' ');
  AppendValue(value, out);
  out->push_back('\n');
}

}  // namespace

void AppendValue(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(value)) {
    out->append(value > 0 ? "+Inf" : "-Inf");
    return;
  }
  char buf[32];
  std::to_chars_result r;
  // Integral values (counters, bucket counts) are the common case: print them as integers.
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(value));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, value);
  }
  out->append(buf, r.ptr);
}

void AppendEscapedLabelValue(std::string_view value, std::string* out) {
  for (char c : value) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '"': out->append("\\\""); break;
      case '\n': out->append("\\n"); break;
      default: out->push_back(c);
    }
  }
}

std::string OpenLabelSet(const std::vector<prometheus::ClientMetric::Label>& labels) {
  std::string set;
  for (const auto& label : labels) {
    set.push_back(set.empty() ? '{' : ',');
    set.append(label.name).append("=\"");
    AppendEscapedLabelValue(label.value, &set);
    set.push_back('"');
  }
  return set;
}

void AppendSeriesWithExtraLabel(std::string_view name, std::string_view suffix, const std::string& open_labels,
                                std::string_view extra_name, double extra_value, std::string* out) {
  out->append(name).append(suffix);
  out->append(open_labels.empty() ? "{" : open_labels);
  if (!open_labels.empty()) out->push_back(',');
  out->append(extra_name).append("=\"");
  AppendValue(extra_value, out);
  out->append("\"}");
}

void WriteFamilyHeader(std::string_view name, std::string_view help, prometheus::MetricType type, std::string* out) {
  AppendHeader(name, help, TypeName(type), out);
}

void WriteSingleSampleFamily(std::string_view name, std::string_view help, prometheus::MetricType type, double value,
                             std::string* out) {
  AppendHeader(name, help, TypeName(type), out);
  out->append(name).push_back(' ');
  AppendValue(value, out);
  out->push_back('\n');
}

void WriteExposition(const std::vector<prometheus::MetricFamily>& families, std::string* out) {
  for (const auto& family : families) WriteFamily(family, out);
}

void WriteFamily(const prometheus::MetricFamily& family, std::string* out) {
  {
    AppendHeader(family.name, family.help, TypeName(family.type), out);
    for (const auto& metric : family.metric) {
      const std::string labels = OpenLabelSet(metric.label);
      switch (family.type) {
        case prometheus::MetricType::Counter:
          AppendSample(family.name, "", labels, metric.counter.value, metric.timestamp_ms, out);
          break;
        case prometheus::MetricType::Gauge:
          AppendSample(family.name, "", labels, metric.gauge.value, metric.timestamp_ms, out);
          break;
        case prometheus::MetricType::Untyped:
          AppendSample(family.name, "", labels, metric.untyped.value, metric.timestamp_ms, out);
          break;
        case prometheus::MetricType::Histogram: {
          bool has_inf = false;
          for (const auto& bucket : metric.histogram.bucket) {
            has_inf = has_inf || std::isinf(bucket.upper_bound);
            AppendSampleWithExtraLabel(family.name, "_bucket", labels, "le", bucket.upper_bound,
                                       static_cast<double>(bucket.cumulative_count), out);
          }
          if (!has_inf) {
            AppendSampleWithExtraLabel(family.name, "_bucket", labels, "le", INFINITY,
                                       static_cast<double>(metric.histogram.sample_count), out);
          }
          AppendSample(family.name, "_sum", labels, metric.histogram.sample_sum, metric.timestamp_ms, out);
          AppendSample(family.name, "_count", labels, static_cast<double>(metric.histogram.sample_count),
                       metric.timestamp_ms, out);
          break;
        }
        case prometheus::MetricType::Summary:
          for (const auto& q : metric.summary.quantile) {
            AppendSampleWithExtraLabel(family.name, "", labels, "quantile", q.quantile, q.value, out);
          }
          AppendSample(family.name, "_sum", labels, metric.summary.sample_sum, metric.timestamp_ms, out);
          AppendSample(family.name, "_count", labels, static_cast<double>(metric.summary.sample_count),
                       metric.timestamp_ms, out);
          break;
      }
    }
  }
}

}  // namespace sloth
