#pragma once
// Decisions about the terminal that depend only on flags and the environment: colour, graph
// glyphs, UTF-8. Pure, so they are unit-tested; Terminal applies them.
#include <optional>
#include <string>
#include <string_view>

#include "ctl/dashboard/graphs.h"

namespace sloth::term {

enum class ColorMode { kAuto, kAlways, kNever };

// "auto", "always", "never"; nullopt otherwise.
std::optional<ColorMode> ParseColorMode(std::string_view text);
// "braille", "block", "ascii"; nullopt otherwise.
std::optional<dashboard::GraphStyle> ParseGraphStyle(std::string_view text);

struct TermEnvironment {
  std::optional<std::string> no_color;  // NO_COLOR
  std::optional<std::string> term;      // TERM
  std::optional<std::string> lc_all;
  std::optional<std::string> lc_ctype;
  std::optional<std::string> lang;
  static TermEnvironment FromProcess();
};

// --color=always: yes. never, --no-color, NO_COLOR (non-empty): no. auto: only on a TTY whose
// TERM is set and not "dumb".
bool ColourEnabled(ColorMode mode, bool no_color_flag, bool is_tty, const TermEnvironment& env);

// LC_ALL, else LC_CTYPE, else LANG names UTF-8 (utf8 / UTF-8, any case).
bool LocaleIsUtf8(const TermEnvironment& env);

// An explicit --graph wins (ascii anyway without UTF-8 since no other glyphs can be shown);
// otherwise braille with a UTF-8 locale, ascii without.
dashboard::GraphStyle ChooseGraphStyle(std::optional<dashboard::GraphStyle> flag, bool utf8);

}  // namespace sloth::term
