#include <cmath>

#include <gtest/gtest.h>

#include "ctl/dashboard/graphs.h"
#include "ctl/dashboard/text_cells.h"
#include "ctl/dashboard/units.h"
#include "ctl/term/terminal_policy.h"

namespace sloth::dashboard {
namespace {

TEST(Units, DurationsLikeGrafana) {
  EXPECT_EQ(FormatDuration(0.0004), "400µs");
  EXPECT_EQ(FormatDuration(0.0004, false), "400us");
  EXPECT_EQ(FormatDuration(0.0042), "4.2ms");
  EXPECT_EQ(FormatDuration(0.25), "250ms");
  EXPECT_EQ(FormatDuration(1.5), "1.50s");
  EXPECT_EQ(FormatDuration(42), "42.0s");
  EXPECT_EQ(FormatDuration(95), "1m35s");
  EXPECT_EQ(FormatDuration(7300), "2h1m");
  EXPECT_EQ(FormatDuration(std::nan("")), "-");
}

TEST(Units, BytesPercentCountsRates) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(23732224), "22.6 MiB");
  EXPECT_EQ(FormatBytes(3.5 * 1024 * 1024 * 1024), "3.5 GiB");
  EXPECT_EQ(FormatPercent(0.753), "75.3%");
  EXPECT_EQ(FormatPercent(1), "100%");
  EXPECT_EQ(FormatPercent(0.99999), "99.9%");
  EXPECT_EQ(FormatCount(1234), "1234");
  EXPECT_EQ(FormatCount(123456), "123.5k");
  EXPECT_EQ(FormatRate(2.5), "2.5/s");
  EXPECT_EQ(FormatRate(0.4), "24/min");
  EXPECT_EQ(FormatUptime(93784), "1d2h");
  EXPECT_EQ(FormatUptime(192), "3m12s");
}

TEST(TextCells, WidthCountsEmojiTwiceAndEscapesZero) {
  EXPECT_EQ(DisplayWidth("abc"), 3);
  EXPECT_EQ(DisplayWidth("🟢 Fast"), 7);
  EXPECT_EQ(DisplayWidth("\x1b[1;31mred\x1b[0m"), 3);
  EXPECT_EQ(DisplayWidth("⣿⣀▕"), 3);
}

TEST(TextCells, FitCutsWithEllipsisAndResetsColour) {
  EXPECT_EQ(FitToWidth("abcdef", 4), "abc…");
  EXPECT_EQ(FitToWidth("abcdef", 4, false), "abc~");
  EXPECT_EQ(FitToWidth("ab🟢cd", 3), "ab…");
  EXPECT_EQ(FitToWidth("\x1b[32mgreen text\x1b[0m", 4), "\x1b[32mgre…\x1b[0m");
  EXPECT_EQ(PadLeft("7", 3), "  7");
  EXPECT_EQ(PadRight("🟢", 4), "🟢  ");
}

TEST(Graphs, BarsFillInEveryStyle) {
  EXPECT_EQ(Bar(0.5, 4, GraphStyle::kAscii), "##--");
  EXPECT_EQ(Bar(0.5, 4, GraphStyle::kBlock), "██░░");
  EXPECT_EQ(Bar(0.5, 4, GraphStyle::kBraille), "⣿⣿⣀⣀");
  EXPECT_EQ(Bar(0.75, 1, GraphStyle::kBlock), "▊") << "six eighths";
}

TEST(Graphs, SparklinesScaleToTheLargestValue) {
  EXPECT_EQ(Sparkline({0, 1, 2, 4}, 10, GraphStyle::kBlock), "▁▂▄█");
  EXPECT_EQ(Sparkline({0, 1, 2, 4}, 10, GraphStyle::kAscii), " :=#");
  EXPECT_EQ(Sparkline({0, 1, 2, 4}, 2, GraphStyle::kBlock), "▄█") << "the newest values that fit";
  EXPECT_EQ(Sparkline({0, 4}, 1, GraphStyle::kBraille), "⢸");
  EXPECT_EQ(Sparkline({10, 11}, 4, GraphStyle::kBlock, true), "▁█") << "gauges from their minimum";
  EXPECT_EQ(Sparkline({}, 4, GraphStyle::kBlock), "");
}

}  // namespace
}  // namespace sloth::dashboard

namespace sloth::term {
namespace {

TermEnvironment Env(std::optional<std::string> no_color, std::optional<std::string> term_name,
                    std::optional<std::string> lang = "C.UTF-8") {
  TermEnvironment env;
  env.no_color = std::move(no_color);
  env.term = std::move(term_name);
  env.lang = std::move(lang);
  return env;
}

TEST(TerminalPolicy, ColourOnlyOnATtyWithoutNoColorOrDumbTerm) {
  EXPECT_TRUE(ColourEnabled(ColorMode::kAuto, false, true, Env({}, "xterm")));
  EXPECT_FALSE(ColourEnabled(ColorMode::kAuto, false, false, Env({}, "xterm"))) << "pipe";
  EXPECT_FALSE(ColourEnabled(ColorMode::kAuto, false, true, Env("1", "xterm"))) << "NO_COLOR";
  EXPECT_TRUE(ColourEnabled(ColorMode::kAuto, false, true, Env("", "xterm"))) << "empty NO_COLOR";
  EXPECT_FALSE(ColourEnabled(ColorMode::kAuto, false, true, Env({}, "dumb")));
  EXPECT_FALSE(ColourEnabled(ColorMode::kAuto, false, true, Env({}, {}))) << "no TERM";
  EXPECT_FALSE(ColourEnabled(ColorMode::kAuto, true, true, Env({}, "xterm"))) << "--no-color";
  EXPECT_FALSE(ColourEnabled(ColorMode::kNever, false, true, Env({}, "xterm")));
  EXPECT_TRUE(ColourEnabled(ColorMode::kAlways, false, false, Env("1", "dumb")));
}

TEST(TerminalPolicy, GraphIsAsciiWithoutUtf8) {
  EXPECT_TRUE(LocaleIsUtf8(Env({}, {}, "en_US.UTF-8")));
  EXPECT_TRUE(LocaleIsUtf8(Env({}, {}, "C.utf8")));
  EXPECT_FALSE(LocaleIsUtf8(Env({}, {}, "C")));
  EXPECT_FALSE(LocaleIsUtf8(Env({}, {}, std::nullopt)));
  auto env = Env({}, {}, "C.UTF-8");
  env.lc_all = "POSIX";
  EXPECT_FALSE(LocaleIsUtf8(env)) << "LC_ALL wins over LANG";
  using dashboard::GraphStyle;
  EXPECT_EQ(ChooseGraphStyle(std::nullopt, true), GraphStyle::kBraille);
  EXPECT_EQ(ChooseGraphStyle(GraphStyle::kBlock, true), GraphStyle::kBlock);
  EXPECT_EQ(ChooseGraphStyle(GraphStyle::kBraille, false), GraphStyle::kAscii);
  EXPECT_EQ(ParseGraphStyle("block"), GraphStyle::kBlock);
  EXPECT_FALSE(ParseGraphStyle("fancy"));
  EXPECT_EQ(ParseColorMode("never"), ColorMode::kNever);
  EXPECT_FALSE(ParseColorMode("sometimes"));
}

}  // namespace
}  // namespace sloth::term
