#include "monitor/plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "errors.hpp"
#include "monitor/canvas.hpp"
#include "monitor/png_file.hpp"

namespace ftcore::monitor {
namespace {

constexpr std::uint32_t kBackground = 0xFFFFFF;
constexpr std::uint32_t kGrid = 0xE5E5E5;
constexpr std::uint32_t kFrame = 0x555555;
constexpr std::uint32_t kText = 0x222222;
constexpr std::uint32_t kMutedText = 0x666666;
constexpr std::uint32_t kLegendBorder = 0xC8C8C8;
constexpr int kMinWidth = 240, kMinHeight = 160;
constexpr int kMaxSide = 16384;

/// Values beyond this are treated like infinities, so spans and margins stay finite.
bool usable(double v) { return std::isfinite(v) && std::abs(v) <= 1e300; }
bool usable(const std::pair<double, double>& point) { return usable(point.first) && usable(point.second); }

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  bool empty() const { return lo > hi; }
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
};

/// One axis: the values at its two ends and the round values where it has ticks.
struct Axis {
  double lo = 0, hi = 1, step = 0.2;
  std::vector<double> ticks;
  bool scientific = false;
  double unit(double v) const { return (v - lo) / (hi - lo); }
};

/// 1, 2 or 5 times a power of ten, at least `raw`.
double nice_step(double raw) {
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double norm = raw / magnitude;
  double nice = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10;
  return nice * magnitude;
}

/// The data range widened by `margin` of its span on each side (a constant gets +-10% or +-1),
/// with at most `max_ticks` intervals between round tick values.
Axis make_axis(Range range, double margin, int max_ticks, bool whole_steps) {
  Axis axis;
  if (!range.empty()) {
    double magnitude = std::max(std::abs(range.lo), std::abs(range.hi));
    double span = range.hi - range.lo;
    if (span <= magnitude * 1e-9) {
      double pad = magnitude > 0 ? magnitude * 0.1 : 1.0;
      if (whole_steps) pad = std::max(pad, 1.0);
      axis.lo = range.lo - pad, axis.hi = range.hi + pad;
    } else {
      axis.lo = range.lo - span * margin, axis.hi = range.hi + span * margin;
    }
  }
  axis.step = nice_step((axis.hi - axis.lo) / std::max(max_ticks, 1));
  if (whole_steps) axis.step = std::max(axis.step, 1.0);
  for (double k = std::ceil(axis.lo / axis.step); k * axis.step <= axis.hi && axis.ticks.size() < 1000; k += 1)
    axis.ticks.push_back(k * axis.step);
  double magnitude = std::max(std::abs(axis.lo), std::abs(axis.hi));
  axis.scientific = magnitude >= 1e6 || magnitude < 1e-3;
  return axis;
}

int exponent_of(double v) { return static_cast<int>(std::floor(std::log10(std::abs(v)) + 1e-9)); }

/// "0.25", "1200", or "1.5e-4" on axes with very large or very small values.
std::string tick_label(double v, const Axis& axis) {
  bool zero = std::abs(v) < axis.step * 1e-6;
  if (zero && axis.scientific) return "0";
  if (zero) v = 0;  // not "-0.0"
  int step_exponent = exponent_of(axis.step);
  char text[64];
  if (!axis.scientific) {
    std::snprintf(text, sizeof text, "%.*f", std::max(0, -step_exponent), v);
    return text;
  }
  int exponent = exponent_of(v);
  int digits = std::clamp(exponent - step_exponent, 0, 6);
  std::snprintf(text, sizeof text, "%.*f", digits, v / std::pow(10.0, exponent));
  std::string mantissa = text;
  if (mantissa.find('.') != std::string::npos) {
    mantissa.erase(mantissa.find_last_not_of('0') + 1);
    if (mantissa.back() == '.') mantissa.pop_back();
  }
  return mantissa + "e" + std::to_string(exponent);
}

int widest_label(const Axis& axis) {
  int widest = 0;
  for (double tick : axis.ticks) widest = std::max(widest, text_width(tick_label(tick, axis), 1));
  return widest;
}

bool has_secondary(const std::vector<Series>& series) {
  return std::any_of(series.begin(), series.end(), [](const Series& s) { return s.secondary_axis; });
}

bool has_data(const std::vector<Series>& series) {
  return std::any_of(series.begin(), series.end(), [](const Series& s) {
    return std::any_of(s.points.begin(), s.points.end(), [](const auto& p) { return usable(p); });
  });
}

bool whole_steps(const std::vector<Series>& series) {
  for (const Series& s : series)
    for (const auto& p : s.points)
      if (usable(p) && p.first != std::floor(p.first)) return false;
  return true;
}

Range step_range(const std::vector<Series>& series) {
  Range range;
  for (const Series& s : series)
    for (const auto& p : s.points)
      if (usable(p)) range.add(p.first);
  return range;
}

Range value_range(const std::vector<Series>& series, bool secondary) {
  Range range;
  for (const Series& s : series)
    if (s.secondary_axis == secondary)
      for (const auto& p : s.points)
        if (usable(p)) range.add(p.second);
  return range;
}

/// Sizes that scale with the image: glyph scale, padding, tick length.
struct Metrics {
  int scale, pad, tick, gap;
  explicit Metrics(const PlotOptions& options)
      : scale(options.width >= 800 && options.height >= 450 ? 2 : 1), pad(8 * scale), tick(4 * scale), gap(4 * scale) {}
  int label_height() const { return text_height(scale); }
  int title_scale() const { return scale + 1; }
};

/// Where everything goes: the plot area and its three axes.
struct Layout {
  Rect plot;
  Axis x, y, y2;
  bool secondary = false;
};

/// Each x tick label needs its width plus some air; fewer ticks until they fit.
Axis fit_x_axis(const std::vector<Series>& series, int plot_width, const Metrics& m) {
  Range steps = step_range(series);
  bool whole = whole_steps(series);
  for (int ticks = std::max(2, plot_width / (40 * m.scale));; --ticks) {
    Axis axis = make_axis(steps, 0.02, ticks, whole);
    double spacing = plot_width * axis.step / (axis.hi - axis.lo);
    if (ticks <= 2 || widest_label(axis) * m.scale + 12 * m.scale <= spacing) return axis;
  }
}

Layout lay_out(const std::vector<Series>& series, const PlotOptions& options, const Metrics& m) {
  Layout layout;
  layout.secondary = has_secondary(series);
  int top = m.pad + text_height(m.title_scale()) + 2 * m.pad;
  int bottom = m.tick + m.gap + m.label_height() + 2 * m.gap + m.label_height() + m.pad;
  int plot_height = options.height - top - bottom;
  int y_ticks = std::max(2, plot_height / (m.label_height() * 4));
  layout.y = make_axis(value_range(series, false), 0.05, y_ticks, false);
  layout.y2 = make_axis(value_range(series, true), 0.05, y_ticks, false);

  auto side = [&](const Axis& axis) {
    return m.pad + m.label_height() + 2 * m.gap + widest_label(axis) * m.scale + m.gap + m.tick;
  };
  int left = side(layout.y);
  int right = layout.secondary ? side(layout.y2) : 2 * m.pad + text_width("00000", m.scale) / 2;
  int plot_width = options.width - left - right;
  layout.x = fit_x_axis(series, plot_width, m);
  layout.plot = {left, top, left + plot_width, top + plot_height};
  return layout;
}

double to_px(const Layout& l, double x) { return l.plot.x0 + l.x.unit(x) * l.plot.width(); }
double to_py(const Rect& plot, const Axis& axis, double y) { return plot.y1 - axis.unit(y) * plot.height(); }

struct SeriesStyle {
  Stroke stroke;
  bool markers = false;
  double marker_radius = 0;
};

SeriesStyle style_of(const Series& series, std::size_t usable_points, const Layout& layout, const Metrics& m) {
  SeriesStyle style;
  style.stroke.rgb = series.rgb;
  style.stroke.width = std::max(2.0, 1.25 * m.scale);
  if (series.secondary_axis) style.stroke.dash = 6.0 * m.scale, style.stroke.gap = 4.0 * m.scale;
  style.markers = usable_points > 0 && layout.plot.width() >= 6 * m.scale * static_cast<int>(usable_points);
  style.marker_radius = 2.0 * m.scale + 0.5;
  return style;
}

void draw_marker(Canvas& canvas, PointF at, const SeriesStyle& style, const Rect& clip) {
  canvas.disc(at, style.marker_radius + 1.0, kBackground, clip);
  canvas.disc(at, style.marker_radius, style.stroke.rgb, clip);
}

std::vector<PointF> pixel_points(const Series& series, const Layout& layout) {
  const Axis& axis = series.secondary_axis ? layout.y2 : layout.y;
  std::vector<PointF> points;
  for (const auto& p : series.points)
    if (usable(p)) points.push_back({to_px(layout, p.first), to_py(layout.plot, axis, p.second)});
  return points;
}

void draw_grid(Canvas& canvas, const Layout& l) {
  for (double tick : l.y.ticks)
    canvas.fill({l.plot.x0, static_cast<int>(to_py(l.plot, l.y, tick)), l.plot.x1, static_cast<int>(to_py(l.plot, l.y, tick)) + 1}, kGrid);
  for (double tick : l.x.ticks)
    canvas.fill({static_cast<int>(to_px(l, tick)), l.plot.y0, static_cast<int>(to_px(l, tick)) + 1, l.plot.y1}, kGrid);
}

void draw_y_ticks(Canvas& canvas, const Layout& l, const Axis& axis, bool right, const Metrics& m, std::uint32_t color) {
  int edge = right ? l.plot.x1 : l.plot.x0 - 1;
  for (double tick : axis.ticks) {
    int y = static_cast<int>(to_py(l.plot, axis, tick));
    int x0 = right ? edge : edge - m.tick;
    canvas.fill({x0, y, x0 + m.tick + 1, y + 1}, kFrame);
    std::string label = tick_label(tick, axis);
    int width = text_width(label, m.scale);
    int x = right ? edge + m.tick + m.gap : edge - m.tick - m.gap - width;
    canvas.text(x, y - m.label_height() / 2, label, m.scale, color);
  }
}

void draw_x_ticks(Canvas& canvas, const Layout& l, const Metrics& m) {
  for (double tick : l.x.ticks) {
    int x = static_cast<int>(to_px(l, tick));
    canvas.fill({x, l.plot.y1, x + 1, l.plot.y1 + m.tick + 1}, kFrame);
    std::string label = tick_label(tick, l.x);
    canvas.text(x - text_width(label, m.scale) / 2, l.plot.y1 + m.tick + m.gap, label, m.scale, kMutedText);
  }
}

void draw_labels(Canvas& canvas, const Layout& l, const PlotOptions& options, const Metrics& m) {
  int title_width = text_width(options.title, m.title_scale());
  canvas.text((options.width - title_width) / 2, m.pad + m.gap, options.title, m.title_scale(), kText);
  int x_label_y = options.height - m.pad - m.label_height();
  canvas.text(l.plot.x0 + (l.plot.width() - text_width(options.x_label, m.scale)) / 2, x_label_y, options.x_label,
              m.scale, kText);
  auto vertical = [&](int x, const std::string& label) {
    int length = text_width(label, m.scale);
    canvas.text(x, l.plot.y0 + (l.plot.height() - length) / 2, label, m.scale, kText, TextDirection::kUp);
  };
  vertical(m.pad, options.y_label);
  if (l.secondary) vertical(options.width - m.pad - m.label_height(), options.y2_label);
}

/// `text`, cut short with "..." where it is wider than `max_width`.
std::string shortened(const std::string& text, int max_width, int scale) {
  if (text_width(text, scale) <= max_width) return text;
  std::string cut = text;
  while (!cut.empty() && text_width(cut + "...", scale) > max_width) cut.pop_back();
  return cut + "...";
}

/// Pixels already drawn on (not background, not grid) inside `rect`.
long ink(const Canvas& canvas, const Rect& rect) {
  long count = 0;
  for (int y = rect.y0; y < rect.y1; ++y)
    for (int x = rect.x0; x < rect.x1; ++x) {
      std::uint32_t c = canvas.at(x, y);
      count += c != kBackground && c != kGrid;
    }
  return count;
}

/// The legend goes in whichever corner of the plot covers the fewest drawn pixels (top right on ties).
Rect legend_box(const Canvas& canvas, const Layout& l, int width, int height, const Metrics& m) {
  int inset = 2 * m.gap;
  int left = l.plot.x0 + inset, right = l.plot.x1 - inset - width;
  int top = l.plot.y0 + inset, bottom = l.plot.y1 - inset - height;
  const Rect corners[] = {{right, top, right + width, top + height},
                          {left, top, left + width, top + height},
                          {right, bottom, right + width, bottom + height},
                          {left, bottom, left + width, bottom + height}};
  const Rect* best = &corners[0];
  long best_ink = ink(canvas, *best);
  for (const Rect& corner : corners) {
    long covered = ink(canvas, corner);
    if (covered < best_ink) best = &corner, best_ink = covered;
  }
  return *best;
}

void draw_legend(Canvas& canvas, const Layout& l, const std::vector<Series>& series,
                 const std::vector<SeriesStyle>& styles, const Metrics& m) {
  if (series.empty()) return;
  int sample = 14 * m.scale + 4;
  int row = m.label_height() + 3 * m.gap;
  int chrome = m.pad + sample + 2 * m.gap + m.pad;
  std::vector<std::string> names;
  int names_width = 0;
  for (const Series& s : series) {
    names.push_back(shortened(s.name, l.plot.width() / 2 - chrome, m.scale));
    names_width = std::max(names_width, text_width(names.back(), m.scale));
  }
  int width = chrome + names_width;
  int height = static_cast<int>(series.size()) * row + 2 * m.gap;
  if (width > l.plot.width() || height > l.plot.height()) return;
  Rect box = legend_box(canvas, l, width, height, m);
  canvas.fill(box, kBackground, 0.9);
  canvas.outline(box, kLegendBorder);
  for (std::size_t i = 0; i < series.size(); ++i) {
    int center_y = box.y0 + m.gap + static_cast<int>(i) * row + row / 2;
    double x0 = box.x0 + m.pad, x1 = x0 + sample;
    canvas.polyline({{x0, center_y + 0.5}, {x1, center_y + 0.5}}, styles[i].stroke, box);
    if (styles[i].markers) draw_marker(canvas, {(x0 + x1) / 2, center_y + 0.5}, styles[i], box);
    canvas.text(static_cast<int>(x1) + 2 * m.gap, center_y - m.label_height() / 2, names[i], m.scale, kText);
  }
}

void draw_no_data(Canvas& canvas, const Layout& l, const Metrics& m) {
  const std::string note = "no data yet";
  int scale = m.title_scale();
  canvas.text(l.plot.x0 + (l.plot.width() - text_width(note, scale)) / 2,
              l.plot.y0 + (l.plot.height() - text_height(scale)) / 2, note, scale, kMutedText);
}

/// Secondary-axis series first, so the primary curves are drawn over them.
void draw_series(Canvas& canvas, const Layout& l, const std::vector<Series>& series,
                 const std::vector<SeriesStyle>& styles) {
  for (bool secondary : {true, false})
    for (std::size_t i = 0; i < series.size(); ++i) {
      if (series[i].secondary_axis != secondary) continue;
      std::vector<PointF> points = pixel_points(series[i], l);
      if (points.size() > 1) canvas.polyline(points, styles[i].stroke, l.plot);
      if (styles[i].markers)
        for (const PointF& p : points) draw_marker(canvas, p, styles[i], l.plot);
    }
}

Canvas render(const std::vector<Series>& series, const PlotOptions& options) {
  Metrics m(options);
  Layout layout = lay_out(series, options, m);
  Canvas canvas(options.width, options.height, kBackground);
  std::vector<SeriesStyle> styles;
  for (const Series& s : series)
    styles.push_back(style_of(s, static_cast<std::size_t>(std::count_if(s.points.begin(), s.points.end(),
                                                                        [](const auto& p) { return usable(p); })),
                              layout, m));
  draw_grid(canvas, layout);
  draw_series(canvas, layout, series, styles);
  const Rect& plot = layout.plot;
  canvas.outline({plot.x0 - 1, plot.y0 - 1, plot.x1 + 1, plot.y1 + 1}, kFrame);
  draw_y_ticks(canvas, layout, layout.y, false, m, kMutedText);
  if (layout.secondary) draw_y_ticks(canvas, layout, layout.y2, true, m, kMutedText);
  draw_x_ticks(canvas, layout, m);
  draw_labels(canvas, layout, options, m);
  if (!has_data(series)) draw_no_data(canvas, layout, m);
  draw_legend(canvas, layout, series, styles, m);
  return canvas;
}

}  // namespace

void write_line_plot(const std::filesystem::path& png, const std::vector<Series>& series, const PlotOptions& options) {
  if (options.width < kMinWidth || options.height < kMinHeight || options.width > kMaxSide || options.height > kMaxSide)
    throw RunError("cannot write plot " + png.string() + ": " + std::to_string(options.width) + "x" +
                   std::to_string(options.height) + " is outside " + std::to_string(kMinWidth) + "x" +
                   std::to_string(kMinHeight) + " to " + std::to_string(kMaxSide) + "x" + std::to_string(kMaxSide));
  Canvas canvas = render(series, options);
  write_png_atomically(png, canvas.width(), canvas.height(), canvas.rgb());
}

}  // namespace ftcore::monitor
