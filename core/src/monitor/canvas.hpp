#pragma once
// An RGB raster with the few drawing primitives the plots need: rectangles, anti-aliased polylines
// (solid or dashed) and discs, and text in the embedded bitmap font.
#include <cstdint>
#include <string>
#include <vector>

namespace ftcore::monitor {

struct PointF {
  double x = 0, y = 0;
};

/// Pixels [x0, x1) x [y0, y1).
struct Rect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int width() const { return x1 - x0; }
  int height() const { return y1 - y0; }
};

struct Stroke {
  std::uint32_t rgb = 0;
  double width = 2;
  double dash = 0, gap = 0;  // dash == 0: a solid line
};

enum class TextDirection { kRight, kUp };  // kUp: rotated 90 degrees, read bottom to top

class Canvas {
 public:
  Canvas(int width, int height, std::uint32_t background);

  int width() const { return width_; }
  int height() const { return height_; }
  Rect bounds() const { return {0, 0, width_, height_}; }
  std::uint32_t at(int x, int y) const;
  /// Rows of R, G, B bytes, top row first.
  const std::vector<std::uint8_t>& rgb() const { return rgb_; }

  /// Mixes `rgb` into the pixel with weight `alpha` in [0, 1]; pixels outside are ignored.
  void blend(int x, int y, std::uint32_t rgb, double alpha);
  void fill(const Rect& rect, std::uint32_t rgb, double alpha = 1);
  /// A one-pixel outline just inside `rect`.
  void outline(const Rect& rect, std::uint32_t rgb);

  void polyline(const std::vector<PointF>& points, const Stroke& stroke, const Rect& clip);
  void disc(PointF center, double radius, std::uint32_t rgb, const Rect& clip);

  /// Text with its bounding box's top-left corner at (x, y), glyphs scaled by `scale`.
  void text(int x, int y, const std::string& text, int scale, std::uint32_t rgb,
            TextDirection direction = TextDirection::kRight);

 private:
  int width_, height_;
  std::vector<std::uint8_t> rgb_;
};

/// Size of `text` drawn left to right at `scale`: width and height in pixels.
int text_width(const std::string& text, int scale);
int text_height(int scale);

}  // namespace ftcore::monitor
