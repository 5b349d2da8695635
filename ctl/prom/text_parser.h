#pragma once
// Prometheus text exposition format 0.0.4 → MetricSet. Pure: no I/O, no clocks, no recursion;
// time linear in the input (n log n in the labels of one line), memory proportional to it.
#include <string>
#include <string_view>
#include <variant>

#include "ctl/prom/metric_set.h"

namespace sloth::prom {

// Why a scrape was refused: the 1-based line, the 1-based byte column in that line (after a
// trailing CR is dropped) and a message "line L: <what> at column C".
struct ParseError {
  int line = 0;
  int column = 0;
  std::string message;
};

using ParseResult = std::variant<MetricSet, ParseError>;

// Parses one scrape. Accepts what Prometheus 2.42 accepts for the text format: HELP/TYPE
// lines, other comments, blank lines, LF or CRLF endings, the label value escapes \\ \" \n (any
// other backslash pair is kept as written, as Prometheus does), NaN/±Inf (any case, "Infinity"
// too), optional integer millisecond timestamps. Samples without a TYPE form an untyped family;
// x_bucket/x_sum/x_count join family x when x is a TYPEd histogram (x_sum/x_count: or summary).
class PromTextParser {
 public:
  static ParseResult Parse(std::string_view text);
};

// A sample value or `le`/`quantile` label value as the format spells it ("1.5", "+Inf", "NaN",
// "1e-3"); nullopt if it is not a number. Exposed so bucket bounds parse like values.
std::optional<double> ParseFloatValue(std::string_view text);

}  // namespace sloth::prom
