#include "monitor/canvas.hpp"

#include <algorithm>
#include <cmath>

#include "monitor/font.hpp"

namespace ftcore::monitor {
namespace {

std::uint8_t channel(std::uint32_t rgb, int shift) { return static_cast<std::uint8_t>((rgb >> shift) & 0xFF); }

double clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

Rect intersect(const Rect& a, const Rect& b) {
  Rect r{std::max(a.x0, b.x0), std::max(a.y0, b.y0), std::min(a.x1, b.x1), std::min(a.y1, b.y1)};
  if (r.x1 < r.x0) r.x1 = r.x0;
  if (r.y1 < r.y0) r.y1 = r.y0;
  return r;
}

/// Pixels that a shape within `margin` of the box [lo, hi] can touch. Coordinates are clamped first
/// so points far off the canvas cannot overflow an int.
Rect reach(PointF lo, PointF hi, double margin) {
  auto to_int = [](double v) { return static_cast<int>(std::clamp(v, -1e6, 1e6)); };
  return {to_int(std::floor(lo.x - margin)), to_int(std::floor(lo.y - margin)),
          to_int(std::ceil(hi.x + margin)) + 1, to_int(std::ceil(hi.y + margin)) + 1};
}

/// Per-pixel coverage of one shape. Keeping the maximum over a polyline's segments, then blending
/// once, keeps the joints from being painted twice (darker dots at every vertex).
class Coverage {
 public:
  explicit Coverage(const Rect& area)
      : area_(area), cover_(static_cast<std::size_t>(area.width()) * area.height(), 0.0f) {}
  const Rect& area() const { return area_; }
  void raise(int x, int y, double value) {
    float& cell = cover_[static_cast<std::size_t>(y - area_.y0) * area_.width() + (x - area_.x0)];
    cell = std::max(cell, static_cast<float>(value));
  }
  void paint(Canvas& canvas, std::uint32_t rgb) const {
    for (int y = area_.y0; y < area_.y1; ++y)
      for (int x = area_.x0; x < area_.x1; ++x) {
        float value = cover_[static_cast<std::size_t>(y - area_.y0) * area_.width() + (x - area_.x0)];
        if (value > 0) canvas.blend(x, y, rgb, value);
      }
  }

 private:
  Rect area_;
  std::vector<float> cover_;
};

/// How much of a dashed stroke is "on" at arc length `s`, softened over one pixel at the dash ends.
double dash_on(double s, const Stroke& stroke) {
  if (stroke.dash <= 0) return 1;
  double phase = std::fmod(s, stroke.dash + stroke.gap);
  return clamp01(std::min(phase + 0.5, stroke.dash - phase + 0.5));
}

/// Adds one segment of a stroke starting at arc length `start` along its polyline.
void cover_segment(Coverage& coverage, PointF a, PointF b, double start, const Stroke& stroke) {
  double half = stroke.width / 2;
  Rect box = intersect(reach({std::min(a.x, b.x), std::min(a.y, b.y)}, {std::max(a.x, b.x), std::max(a.y, b.y)}, half + 1),
                       coverage.area());
  double dx = b.x - a.x, dy = b.y - a.y;
  double length_sq = dx * dx + dy * dy;
  double length = std::sqrt(length_sq);
  for (int y = box.y0; y < box.y1; ++y)
    for (int x = box.x0; x < box.x1; ++x) {
      double px = x + 0.5 - a.x, py = y + 0.5 - a.y;
      double t = length_sq > 0 ? std::clamp((px * dx + py * dy) / length_sq, 0.0, 1.0) : 0.0;
      double distance = std::hypot(px - t * dx, py - t * dy);
      double value = clamp01(half + 0.5 - distance) * dash_on(start + t * length, stroke);
      if (value > 0) coverage.raise(x, y, value);
    }
}

}  // namespace

Canvas::Canvas(int width, int height, std::uint32_t background)
    : width_(width), height_(height), rgb_(static_cast<std::size_t>(width) * height * 3) {
  fill(bounds(), background);
}

std::uint32_t Canvas::at(int x, int y) const {
  const std::uint8_t* p = &rgb_[(static_cast<std::size_t>(y) * width_ + x) * 3];
  return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
}

void Canvas::blend(int x, int y, std::uint32_t rgb, double alpha) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  std::uint8_t* p = &rgb_[(static_cast<std::size_t>(y) * width_ + x) * 3];
  alpha = clamp01(alpha);
  const int shifts[3] = {16, 8, 0};
  for (int i = 0; i < 3; ++i) p[i] = static_cast<std::uint8_t>(std::lround(p[i] + (channel(rgb, shifts[i]) - p[i]) * alpha));
}

void Canvas::fill(const Rect& rect, std::uint32_t rgb, double alpha) {
  Rect r = intersect(rect, bounds());
  for (int y = r.y0; y < r.y1; ++y)
    for (int x = r.x0; x < r.x1; ++x) blend(x, y, rgb, alpha);
}

void Canvas::outline(const Rect& rect, std::uint32_t rgb) {
  fill({rect.x0, rect.y0, rect.x1, rect.y0 + 1}, rgb);
  fill({rect.x0, rect.y1 - 1, rect.x1, rect.y1}, rgb);
  fill({rect.x0, rect.y0, rect.x0 + 1, rect.y1}, rgb);
  fill({rect.x1 - 1, rect.y0, rect.x1, rect.y1}, rgb);
}

void Canvas::polyline(const std::vector<PointF>& points, const Stroke& stroke, const Rect& clip) {
  if (points.empty()) return;
  PointF lo = points.front(), hi = points.front();
  for (const PointF& p : points) {
    lo = {std::min(lo.x, p.x), std::min(lo.y, p.y)};
    hi = {std::max(hi.x, p.x), std::max(hi.y, p.y)};
  }
  Coverage coverage(intersect(intersect(reach(lo, hi, stroke.width / 2 + 1), clip), bounds()));
  double arc = 0;
  for (std::size_t i = 0; i + 1 < points.size(); ++i) {
    cover_segment(coverage, points[i], points[i + 1], arc, stroke);
    arc += std::hypot(points[i + 1].x - points[i].x, points[i + 1].y - points[i].y);
  }
  if (points.size() == 1) cover_segment(coverage, points[0], points[0], 0, stroke);
  coverage.paint(*this, stroke.rgb);
}

void Canvas::disc(PointF center, double radius, std::uint32_t rgb, const Rect& clip) {
  Coverage coverage(intersect(intersect(reach(center, center, radius + 1), clip), bounds()));
  const Rect& box = coverage.area();
  for (int y = box.y0; y < box.y1; ++y)
    for (int x = box.x0; x < box.x1; ++x)
      coverage.raise(x, y, clamp01(radius + 0.5 - std::hypot(x + 0.5 - center.x, y + 0.5 - center.y)));
  coverage.paint(*this, rgb);
}

void Canvas::text(int x, int y, const std::string& text, int scale, std::uint32_t rgb, TextDirection direction) {
  int length = text_width(text, scale);
  for (std::size_t i = 0; i < text.size(); ++i)
    for (int column = 0; column < font::kGlyphWidth; ++column)
      for (int row = 0; row < font::kGlyphHeight; ++row) {
        if (!font::pixel(text[i], column, row)) continue;
        int along = (static_cast<int>(i) * font::kAdvance + column) * scale;
        if (direction == TextDirection::kRight)
          fill({x + along, y + row * scale, x + along + scale, y + (row + 1) * scale}, rgb);
        else
          fill({x + row * scale, y + length - along - scale, x + (row + 1) * scale, y + length - along}, rgb);
      }
}

int text_width(const std::string& text, int scale) {
  if (text.empty()) return 0;
  return (static_cast<int>(text.size()) * font::kAdvance - 1) * scale;
}

int text_height(int scale) { return font::kGlyphHeight * scale; }

}  // namespace ftcore::monitor
