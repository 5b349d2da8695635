#include <gtest/gtest.h>

#include "ctl/dashboard/text_cells.h"

namespace sloth::dashboard {
namespace {

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

}  // namespace
}  // namespace sloth::dashboard
