#include <gtest/gtest.h>

#include "ctl/term/terminal_policy.h"

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
