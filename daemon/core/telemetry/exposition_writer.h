#pragma once
// Prometheus text format 0.0.4, written straight into a string: a pure function of the
// collected families. Several times faster than prometheus::TextSerializer (no iostreams,
// shortest round-trip numbers via std::to_chars, label sets built once per series).
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

namespace sloth {

// Appends the exposition of `families` to `out`.
void WriteExposition(const std::vector<prometheus::MetricFamily>& families, std::string* out);

// Appends one family (HELP, TYPE and its samples).
void WriteFamily(const prometheus::MetricFamily& family, std::string* out);

// Appends only "# HELP" and "# TYPE": a catalog family that has no series yet.
void WriteFamilyHeader(std::string_view name, std::string_view help, prometheus::MetricType type, std::string* out);

// Appends one unlabelled sample family: "# HELP", "# TYPE" and "name value".
void WriteSingleSampleFamily(std::string_view name, std::string_view help, prometheus::MetricType type, double value,
                             std::string* out);

// Appends a number the way Prometheus reads it back exactly: "+Inf", "-Inf", "NaN", integers
// without exponent, otherwise the shortest round-trip form.
void AppendValue(double value, std::string* out);

// "{a="x",b="y"" without the closing brace, so callers can add `le`/`quantile`; empty if no labels.
std::string OpenLabelSet(const std::vector<prometheus::ClientMetric::Label>& labels);

// Appends `name``suffix`{labels,extra_name="extra_value"} (a bucket's or a quantile's series).
void AppendSeriesWithExtraLabel(std::string_view name, std::string_view suffix, const std::string& open_labels,
                                std::string_view extra_name, double extra_value, std::string* out);

// Appends a label value with \\, \" and \n escaped.
void AppendEscapedLabelValue(std::string_view value, std::string* out);

}  // namespace sloth
