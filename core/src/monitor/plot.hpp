#pragma once
// Line charts of the training history (loss curves, learning rate) as a PNG, drawn natively: no
// plotting library, no font files.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace ftcore::monitor {

struct Series {
  std::string name;                                 // shown in the legend
  std::vector<std::pair<double, double>> points;    // (step, value); NaN and inf values are skipped
  std::uint32_t rgb = 0;                            // 0xRRGGBB
  bool secondary_axis = false;                      // plotted, dashed, against the right-hand axis
};

struct PlotOptions {
  int width = 1200, height = 700;  // at least 240 x 160
  std::string title = "Training history";
  std::string x_label = "step";
  std::string y_label = "loss";
  std::string y2_label = "learning rate";  // shown when a series uses the secondary axis
};

/// Writes an RGB PNG of the series as line charts: axes with round tick values, a grid, a legend
/// in the emptiest corner, 2-px anti-aliased lines, point markers when a series is sparse (a few
/// points per hundred pixels, e.g. validation loss). An empty plot says 'no data yet'. Written
/// atomically (temporary file, then rename); creates missing parent directories. Throws RunError
/// naming the path on failure.
void write_line_plot(const std::filesystem::path& png, const std::vector<Series>& series,
                     const PlotOptions& options = {});

}  // namespace ftcore::monitor
