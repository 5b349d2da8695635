#include "ctl/term/terminal_policy.h"

#include <cctype>
#include <cstdlib>

namespace sloth::term {
namespace {

std::optional<std::string> Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::optional<std::string>(value) : std::nullopt;
}

}  // namespace

std::optional<ColorMode> ParseColorMode(std::string_view text) {
  if (text == "auto") return ColorMode::kAuto;
  if (text == "always") return ColorMode::kAlways;
  if (text == "never") return ColorMode::kNever;
  return std::nullopt;
}

std::optional<dashboard::GraphStyle> ParseGraphStyle(std::string_view text) {
  if (text == "braille") return dashboard::GraphStyle::kBraille;
  if (text == "block") return dashboard::GraphStyle::kBlock;
  if (text == "ascii") return dashboard::GraphStyle::kAscii;
  return std::nullopt;
}

TermEnvironment TermEnvironment::FromProcess() {
  return {Env("NO_COLOR"), Env("TERM"), Env("LC_ALL"), Env("LC_CTYPE"), Env("LANG")};
}

bool ColourEnabled(ColorMode mode, bool no_color_flag, bool is_tty, const TermEnvironment& env) {
  if (mode == ColorMode::kAlways) return true;
  if (mode == ColorMode::kNever || no_color_flag) return false;
  if (env.no_color && !env.no_color->empty()) return false;
  if (!is_tty) return false;
  return env.term && !env.term->empty() && *env.term != "dumb";
}

bool LocaleIsUtf8(const TermEnvironment& env) {
  const std::optional<std::string>* chosen = nullptr;
  for (const auto* candidate : {&env.lc_all, &env.lc_ctype, &env.lang}) {
    if (*candidate && !(*candidate)->empty()) {
      chosen = candidate;
      break;
    }
  }
  if (!chosen) return false;
  std::string value;
  for (char c : **chosen) {
    if (c != '-') value += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return value.find("utf8") != std::string::npos;
}

dashboard::GraphStyle ChooseGraphStyle(std::optional<dashboard::GraphStyle> flag, bool utf8) {
  if (!utf8) return dashboard::GraphStyle::kAscii;
  return flag.value_or(dashboard::GraphStyle::kBraille);
}

}  // namespace sloth::term
