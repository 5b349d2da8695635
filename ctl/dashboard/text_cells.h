#pragma once
// Terminal cell arithmetic for UTF-8 text that may carry ANSI SGR sequences: how many columns a
// string takes, and how to cut or pad it to a width without splitting a character or a sequence.
// Pure. Emoji (and other East Asian wide characters) take 2 columns; variation selectors and
// zero-width joiners 0; SGR sequences 0.
#include <string>
#include <string_view>

namespace sloth::dashboard {

int DisplayWidth(std::string_view text);

// `text` cut to at most `width` columns; when cut, the last column is "…" ("~" when `unicode`
// is false) and, if the text carried SGR sequences, a reset follows so colour never leaks.
std::string FitToWidth(std::string_view text, int width, bool unicode = true);

// Fits, then pads with spaces on the right (left-aligned) or on the left (right-aligned).
std::string PadRight(std::string_view text, int width, bool unicode = true);
std::string PadLeft(std::string_view text, int width, bool unicode = true);

}  // namespace sloth::dashboard
