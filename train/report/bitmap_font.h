// A 5x7 pixel font (and a row for descenders) for printable ASCII, so that PNG charts can carry
// their own titles, tick labels and legends without a font library.
#pragma once
#include <cstdint>

namespace gan::train {

constexpr int kGlyphWidth = 5, kGlyphHeight = 8;  // capitals and digits use rows 0..6
// A glyph's advance (one blank column) and a text line's height (two blank rows), in font pixels.
constexpr int kGlyphAdvance = kGlyphWidth + 1, kLineHeight = kGlyphHeight + 2;

// The rows of a character, top first; bit 4 of each row is the leftmost pixel. Characters outside
// 32..126 get the glyph of '?'.
const uint8_t* glyph_rows(char c);

}  // namespace gan::train
