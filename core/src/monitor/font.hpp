#pragma once
// A small embedded bitmap font for the plots: printable ASCII, 5x7 pixels (descenders
// one row lower) in a 6x9 cell.
#include <cstdint>

namespace ftcore::monitor::font {

inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 8;  // the descender row included
inline constexpr int kAdvance = 6;  // glyph width plus one column of spacing

/// Whether pixel (column, row) of the glyph for `c` is set; row 0 is the top. Characters outside
/// printable ASCII draw as '?'.
bool pixel(char c, int column, int row);

}  // namespace ftcore::monitor::font
