#include "ctl/prom/text_parser.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ctl/prom/histogram_quantile.h"

namespace sloth::prom {
namespace {

MetricSet MustParse(std::string_view text) {
  ParseResult r = PromTextParser::Parse(text);
  if (auto* e = std::get_if<ParseError>(&r)) {
    ADD_FAILURE() << "unexpected parse error: " << e->message;
    return {};
  }
  return std::get<MetricSet>(std::move(r));
}

std::string ErrorOf(std::string_view text) {
  ParseResult r = PromTextParser::Parse(text);
  if (auto* e = std::get_if<ParseError>(&r)) return e->message;
  return "(parsed)";
}

TEST(PromTextParser, EmptyInputIsAnEmptySet) {
  EXPECT_TRUE(MustParse("").families.empty());
  EXPECT_TRUE(MustParse("\n\n  \t\n").families.empty());
}

TEST(PromTextParser, HelpTypeAndSamplesFormOneFamily) {
  auto set = MustParse(
      "# HELP http_requests_total The total.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n");
  ASSERT_EQ(set.families.size(), 1u);
  const Family& f = set.families[0];
  EXPECT_EQ(f.name, "http_requests_total");
  EXPECT_EQ(f.help, "The total.");
  EXPECT_EQ(f.type, MetricType::kCounter);
  ASSERT_EQ(f.samples.size(), 2u);
  EXPECT_EQ(f.samples[0].labels, (Labels{{"code", "200"}, {"method", "post"}}));  // sorted by name
  EXPECT_EQ(f.samples[0].value, 1027);
  EXPECT_EQ(f.samples[0].timestamp_ms, 1395066363000);
  EXPECT_EQ(f.samples[1].value, 3);
  EXPECT_EQ(set.Value("http_requests_total", {{"method", "post"}, {"code", "400"}}), 3);
  EXPECT_EQ(set.Value("http_requests_total", {{"method", "get"}}), std::nullopt);
  EXPECT_EQ(set.Find("nope"), nullptr);
}

TEST(PromTextParser, HelpUnescapesBackslashAndNewlineOnly) {
  auto set = MustParse("# HELP m a\\\\b\\nc \\t d\n# TYPE m gauge\nm 1\n");
  ASSERT_NE(set.Find("m"), nullptr);
  EXPECT_EQ(set.Find("m")->help, "a\\b\nc \\t d");
  EXPECT_EQ(MustParse("# HELP m\nm 1\n").Find("m")->help, "");
}

TEST(PromTextParser, OtherCommentsAreIgnored) {
  auto set = MustParse("# just a comment\n#HELP not help\n# TYPEX m counter\n#\nm 1\n   # indented\n");
  ASSERT_EQ(set.families.size(), 1u);
  EXPECT_EQ(set.Find("m")->type, MetricType::kUntyped);
}

TEST(PromTextParser, CrlfLineEndingsAreAccepted) {
  auto set = MustParse("# HELP m Help.\r\n# TYPE m gauge\r\nm{a=\"b\"} 2\r\n\r\n");
  ASSERT_NE(set.Find("m"), nullptr);
  EXPECT_EQ(set.Find("m")->help, "Help.");
  EXPECT_EQ(set.Find("m")->type, MetricType::kGauge);
  EXPECT_EQ(set.Value("m", {{"a", "b"}}), 2);
}

TEST(PromTextParser, LabelValueEscapes) {
  auto set = MustParse(R"(m{path="C:\\dir\\",quote="say \"hi\"",nl="a\nb",other="\t"} 1)");
  const Labels& l = set.Find("m")->samples[0].labels;
  EXPECT_EQ(*LabelValue(l, "path"), "C:\\dir\\");
  EXPECT_EQ(*LabelValue(l, "quote"), "say \"hi\"");
  EXPECT_EQ(*LabelValue(l, "nl"), "a\nb");
  EXPECT_EQ(*LabelValue(l, "other"), "\\t");  // kept as written, as Prometheus does
}

TEST(PromTextParser, LabelSyntaxVariants) {
  auto set = MustParse("m{} 1\nm{ a = \"1\" , b=\"2\", } 2\nm{a=\"\"}3\nm{a=\"ü€😀\"} 4\n");
  const auto& s = set.Find("m")->samples;
  ASSERT_EQ(s.size(), 4u);
  EXPECT_TRUE(s[0].labels.empty());
  EXPECT_EQ(s[1].labels, (Labels{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(s[2].labels, (Labels{{"a", ""}}));
  EXPECT_EQ(s[2].value, 3);
  EXPECT_EQ(s[3].labels[0].second, "ü€😀");
}

TEST(PromTextParser, SpecialAndScientificValues) {
  auto set = MustParse(
      "a NaN\nb +Inf\nc -Inf\nd Inf\ne 1.5e3\nf -0.25\ng .5\nh 5.\ni +3\nj 1E-2\nk infinity\nl 1e-400\nm nan\n");
  EXPECT_TRUE(std::isnan(*set.Value("a")));
  EXPECT_EQ(*set.Value("b"), INFINITY);
  EXPECT_EQ(*set.Value("c"), -INFINITY);
  EXPECT_EQ(*set.Value("d"), INFINITY);
  EXPECT_EQ(*set.Value("e"), 1500);
  EXPECT_EQ(*set.Value("f"), -0.25);
  EXPECT_EQ(*set.Value("g"), 0.5);
  EXPECT_EQ(*set.Value("h"), 5);
  EXPECT_EQ(*set.Value("i"), 3);
  EXPECT_EQ(*set.Value("j"), 0.01);
  EXPECT_EQ(*set.Value("k"), INFINITY);
  EXPECT_EQ(*set.Value("l"), 0);  // underflow is 0, as in Go
  EXPECT_TRUE(std::isnan(*set.Value("m")));
}

TEST(PromTextParser, TimestampsAreOptionalIntegers) {
  auto set = MustParse("a 1\nb 2 -5\nc 3 1700000000000  \n");
  EXPECT_EQ(set.Find("a")->samples[0].timestamp_ms, std::nullopt);
  EXPECT_EQ(set.Find("b")->samples[0].timestamp_ms, -5);
  EXPECT_EQ(set.Find("c")->samples[0].timestamp_ms, 1700000000000);
}

TEST(PromTextParser, SamplesWithoutTypeFormUntypedFamilies) {
  auto set = MustParse("x_bucket{le=\"1\"} 1\nx_count 1\n");
  ASSERT_EQ(set.families.size(), 2u);
  EXPECT_EQ(set.families[0].name, "x_bucket");
  EXPECT_EQ(set.families[0].type, MetricType::kUntyped);
  EXPECT_EQ(set.families[1].name, "x_count");
}

TEST(PromTextParser, HistogramAndSummarySuffixesJoinTheirFamily) {
  auto set = MustParse(
      "# TYPE h histogram\n"
      "h_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.3\nh_count 2\n"
      "# TYPE s summary\n"
      "s{quantile=\"0.5\"} 0.1\ns_sum 1\ns_count 3\ns_bucket 7\n");
  ASSERT_EQ(set.families.size(), 3u);
  EXPECT_EQ(set.families[0].name, "h");
  EXPECT_EQ(set.families[0].type, MetricType::kHistogram);
  EXPECT_EQ(set.families[0].samples.size(), 4u);
  EXPECT_EQ(set.families[1].name, "s");
  EXPECT_EQ(set.families[1].samples.size(), 3u);
  EXPECT_EQ(set.families[2].name, "s_bucket");  // summaries have no buckets
  EXPECT_EQ(set.Value("h_bucket", {{"le", "+Inf"}}), 2);
  EXPECT_EQ(set.Value("h_count"), 2);
  EXPECT_EQ(set.Value("s", {{"quantile", "0.5"}}), 0.1);
}

TEST(PromTextParser, ATypeLineRedirectsLaterSuffixedSamples) {
  auto set = MustParse("x_bucket{le=\"1\"} 1\n# TYPE x histogram\nx_bucket{le=\"1\"} 2\n");
  ASSERT_EQ(set.families.size(), 2u);
  EXPECT_EQ(set.Find("x_bucket")->samples.size(), 1u);
  EXPECT_EQ(set.Find("x")->samples.size(), 1u);
  EXPECT_EQ(set.Find("x")->samples[0].value, 2);
}

TEST(PromTextParser, InterleavedFamiliesAreMerged) {
  auto set = MustParse("a 1\nb 2\na{x=\"y\"} 3\n");
  ASSERT_EQ(set.families.size(), 2u);
  EXPECT_EQ(set.Find("a")->samples.size(), 2u);
}

TEST(PromTextParser, MetricAndLabelNameCharacters) {
  auto set = MustParse("a:b_c9 1\n_x{_l9=\"v\"} 2\n:colon 3\n");
  EXPECT_EQ(set.Value("a:b_c9"), 1);
  EXPECT_EQ(set.Value("_x", {{"_l9", "v"}}), 2);
  EXPECT_EQ(set.Value(":colon"), 3);
}

struct ErrorCase {
  const char* input;
  const char* message;
};

class PromTextParserErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(PromTextParserErrors, ExactMessage) { EXPECT_EQ(ErrorOf(GetParam().input), GetParam().message); }

INSTANTIATE_TEST_SUITE_P(
    AllErrors, PromTextParserErrors,
    ::testing::Values(
        ErrorCase{"a 1\nb 2\n1abc 3\n", "line 3: expected a metric name at column 1"},
        ErrorCase{"m{l=\"v\",1=\"x\"} 1", "line 1: expected a label name or '}' at column 9"},
        ErrorCase{"m{l=\"v\"", "line 1: expected ',' or '}' after the value of label \"l\" at column 8"},
        ErrorCase{"\n\n\n\n\n\nrequest_seconds{le 1} 2", "line 7: expected '=' after label name \"le\" at column 20"},
        ErrorCase{"m{le=1} 2", "line 1: expected '\"' to start the value of label \"le\" at column 6"},
        ErrorCase{"m{le=\"1} 2", "line 1: unterminated value of label \"le\" at column 6"},
        ErrorCase{"m{le=\"1\\\"} 2", "line 1: unterminated value of label \"le\" at column 6"},
        ErrorCase{"m{a=\"1\" b=\"2\"} 2", "line 1: expected ',' or '}' after the value of label \"a\" at column 9"},
        ErrorCase{"m{a=\"1\",b=\"2\",a=\"3\"} 2", "line 1: duplicate label name \"a\" at column 15"},
        ErrorCase{"m{a=\"\xff\"} 2", "line 1: invalid UTF-8 in the value of label \"a\" at column 5"},
        ErrorCase{"m{a=\"\xc0\xaf\"} 2", "line 1: invalid UTF-8 in the value of label \"a\" at column 5"},
        ErrorCase{"m", "line 1: expected a value for metric \"m\" at column 2"},
        ErrorCase{"m{a=\"b\"}  ", "line 1: expected a value for metric \"m\" at column 11"},
        ErrorCase{"a 1\nb 2\nc 12a\n", "line 3: invalid value \"12a\" at column 3"},
        ErrorCase{"m 0x10", "line 1: invalid value \"0x10\" at column 3"},
        ErrorCase{"m 1_000", "line 1: invalid value \"1_000\" at column 3"},
        ErrorCase{"m -nan", "line 1: invalid value \"-nan\" at column 3"},
        ErrorCase{"m 1e400", "line 1: invalid value \"1e400\" at column 3"},
        ErrorCase{"m 1e", "line 1: invalid value \"1e\" at column 3"},
        ErrorCase{"m .", "line 1: invalid value \".\" at column 3"},
        ErrorCase{"m 1 1.5", "line 1: invalid timestamp \"1.5\" at column 5"},
        ErrorCase{"m 1 99999999999999999999", "line 1: invalid timestamp \"99999999999999999999\" at column 5"},
        ErrorCase{"m 1 2 3", "line 1: unexpected text \"3\" after the timestamp at column 7"},
        ErrorCase{"m-x 1", "line 1: unexpected character \"-\" after metric name \"m\" at column 2"},
        ErrorCase{"m\x1b[31m 1", "line 1: unexpected character \"\\x1b\" after metric name \"m\" at column 2"},
        ErrorCase{"# HELP", "line 1: expected a metric name after HELP at column 7"},
        ErrorCase{"# TYPE 9m counter", "line 1: expected a metric name after TYPE at column 8"},
        ErrorCase{"# TYPE m{ counter", "line 1: unexpected character \"{\" in metric name \"m\" at column 9"},
        ErrorCase{"# TYPE m", "line 1: expected a metric type after metric name \"m\" at column 9"},
        ErrorCase{"# TYPE m Counter", "line 1: invalid metric type \"Counter\" at column 10"},
        ErrorCase{"# TYPE m counter x", "line 1: unexpected text \"x\" after the metric type at column 18"},
        ErrorCase{"# TYPE m counter\n# TYPE m gauge", "line 2: second TYPE line for metric \"m\" at column 8"},
        ErrorCase{"m 1\n# TYPE m gauge", "line 2: TYPE line for metric \"m\" after its samples at column 8"},
        ErrorCase{"# HELP m a\r\n# HELP m b", "line 2: second HELP line for metric \"m\" at column 8"},
        ErrorCase{"m 1\r\nm{a=\"\r\n", "line 2: unterminated value of label \"a\" at column 5"}));

TEST(PromTextParser, ErrorCarriesLineAndColumn) {
  ParseResult r = PromTextParser::Parse("ok 1\n\nbad{le 1} 2\n");
  ASSERT_TRUE(std::holds_alternative<ParseError>(r));
  EXPECT_EQ(std::get<ParseError>(r).line, 3);
  EXPECT_EQ(std::get<ParseError>(r).column, 8);
}

TEST(PromTextParser, LongBadTokensAreTruncatedInMessages) {
  const std::string message = ErrorOf("m " + std::string(1000, 'x'));
  EXPECT_LT(message.size(), 120u);
  EXPECT_THAT(message, ::testing::HasSubstr("...\" at column 3"));
}

TEST(PromTextParser, ParsesARealSlothdScrape) {
  std::ifstream in(SLOTH_SOURCE_DIR "/tests/unit/ctl/prom/testdata/slothd.prom");
  ASSERT_TRUE(in) << "missing testdata";
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto set = MustParse(buffer.str());
  EXPECT_GE(set.families.size(), 20u);
  for (const Family& f : set.families) EXPECT_FALSE(f.help.empty()) << f.name;  // slothd documents all
  EXPECT_TRUE(set.Find("sloth_task_group_duration_seconds")->samples.empty());  // no groups ran
  const Family* tasks = set.Find("sloth_task_duration_seconds");
  ASSERT_NE(tasks, nullptr);
  EXPECT_EQ(tasks->type, MetricType::kHistogram);
  auto series = Histograms(*tasks);
  ASSERT_EQ(series.size(), 3u);
  for (const auto& s : series) {
    EXPECT_EQ(s.buckets.size(), 12u);
    EXPECT_EQ(s.buckets.back().upper_bound, INFINITY);
    EXPECT_EQ(s.count, s.buckets.back().count);
    EXPECT_TRUE(s.sum.has_value());
  }
  EXPECT_EQ(set.Value("sloth_tasks_total", {{"status", "failed"}, {"group", "ci"}}).value_or(-1), 2);
  EXPECT_EQ(set.Find("process_open_fds")->type, MetricType::kGauge);
}

}  // namespace
}  // namespace sloth::prom
