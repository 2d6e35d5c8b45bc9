// The training-history plot: each PNG decoded with libpng and checked for size, content and colors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "errors.hpp"
#include "monitor/plot.hpp"
#include "png_image.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using ftcore::monitor::PlotOptions;
using ftcore::monitor::Series;
using ftcore::monitor::write_line_plot;
using ftcore::testing::decode;
using ftcore::testing::Image;

namespace {

constexpr std::uint32_t kBlue = 0x1F77B4, kOrange = 0xFF7F0E, kGrey = 0x7F7F7F;

std::size_t distinct_colors(const Image& image) {
  std::set<std::uint32_t> colors;
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) colors.insert(image.at(x, y));
  return colors.size();
}

/// A run of 500 steps: noisy falling train loss, validation every 50 steps, warmup then decay.
std::vector<Series> history() {
  Series train{"train loss", {}, kBlue, false}, val{"val loss", {}, kOrange, false};
  Series lr{"learning rate", {}, kGrey, true};
  for (int step = 1; step <= 500; ++step) {
    double loss = 0.6 + 1.8 * std::exp(-step / 120.0) + 0.05 * std::sin(step * 0.7);
    train.points.push_back({step, loss});
    if (step % 50 == 0) val.points.push_back({step, loss + 0.1});
    lr.points.push_back({step, step < 50 ? 2e-4 * step / 50 : 2e-4 * (500 - step) / 450});
  }
  return {train, val, lr};
}

std::string error_writing(const fs::path& png, const std::vector<Series>& series, const PlotOptions& options = {}) {
  try {
    write_line_plot(png, series, options);
  } catch (const ftcore::RunError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Plot, WritesAnRgbPngOfTheRequestedSize) {
  ftcore::testing::TempDir dir;
  write_line_plot(dir.path() / "training_history.png", history());
  Image image = decode(dir.path() / "training_history.png");
  EXPECT_EQ(image.width, 1200);
  EXPECT_EQ(image.height, 700);

  PlotOptions small;
  small.width = 400, small.height = 260;
  write_line_plot(dir.path() / "small.png", history(), small);
  Image thumbnail = decode(dir.path() / "small.png");
  EXPECT_EQ(thumbnail.width, 400);
  EXPECT_EQ(thumbnail.height, 260);
  EXPECT_GT(thumbnail.count_inside(kBlue), 50);
}

TEST(Plot, IsNotBlankAndShowsEverySeriesColorInThePlotArea) {
  ftcore::testing::TempDir dir;
  write_line_plot(dir.path() / "h.png", history());
  Image image = decode(dir.path() / "h.png");
  EXPECT_GT(distinct_colors(image), 20u);  // text, grid, anti-aliased lines
  EXPECT_GT(image.count_inside(kBlue), 1000);
  EXPECT_GT(image.count_inside(kOrange), 100);  // the line and its markers
  EXPECT_GT(image.count_inside(kGrey), 100);
}

TEST(Plot, EmptySeriesListStillGivesAValidImage) {
  ftcore::testing::TempDir dir;
  write_line_plot(dir.path() / "empty.png", {});
  Image image = decode(dir.path() / "empty.png");
  EXPECT_EQ(image.width, 1200);
  EXPECT_EQ(image.height, 700);
  EXPECT_GT(distinct_colors(image), 2u);  // axes, ticks and the 'no data yet' note
}

TEST(Plot, SeriesWithoutUsablePointsGiveAValidImage) {
  ftcore::testing::TempDir dir;
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  std::vector<Series> series{{"train loss", {}, kBlue}, {"val loss", {{1, nan}, {2, inf}, {inf, 1}}, kOrange}};
  write_line_plot(dir.path() / "p.png", series);
  Image image = decode(dir.path() / "p.png");
  EXPECT_EQ(image.width, 1200);
  EXPECT_EQ(image.count_inside(kBlue) + image.count_inside(kOrange), 0);
}

TEST(Plot, NonFiniteValuesAreSkipped) {
  ftcore::testing::TempDir dir;
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  write_line_plot(dir.path() / "p.png", {{"train loss", {{0, 3}, {1, nan}, {2, 2}, {3, -inf}, {4, 1.5}}, kBlue}});
  EXPECT_GT(decode(dir.path() / "p.png").count_inside(kBlue), 500);
}

TEST(Plot, SinglePointConstantValuesAndHugeRanges) {
  ftcore::testing::TempDir dir;
  const std::vector<std::vector<Series>> cases{
      {{"single", {{0, 2.5}}, kBlue}},
      {{"constant", {{0, 1}, {100, 1}, {200, 1}}, kBlue}},
      {{"zeros", {{5, 0}, {6, 0}}, kBlue}},
      {{"huge", {{0, 1e12}, {1e9, 1e-8}, {2e9, -3e11}}, kBlue}},
      {{"tiny", {{0, 1e-9}, {1, 3e-9}}, kBlue}, {"max", {{0, 1e300}, {1, -1e300}}, kOrange, true}}};
  for (std::size_t i = 0; i < cases.size(); ++i) {
    fs::path png = dir.path() / ("case" + std::to_string(i) + ".png");
    write_line_plot(png, cases[i]);
    EXPECT_GT(decode(png).count_inside(kBlue), 10) << cases[i][0].name;
  }
}

TEST(Plot, AtomicWriteLeavesNoTemporaryFiles) {
  ftcore::testing::TempDir dir;
  write_line_plot(dir.path() / "training_history.png", history());
  write_line_plot(dir.path() / "training_history.png", {});  // replaces the first
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir.path())) names.push_back(entry.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"training_history.png"});
  EXPECT_EQ(decode(dir.path() / "training_history.png").count_inside(kBlue), 0);
}

TEST(Plot, CreatesMissingParentDirectories) {
  ftcore::testing::TempDir dir;
  write_line_plot(dir.path() / "out" / "plots" / "h.png", history());
  EXPECT_EQ(decode(dir.path() / "out" / "plots" / "h.png").width, 1200);
}

TEST(Plot, BadPathsAreRunErrorsNamingThePath) {
  ftcore::testing::TempDir dir;
  fs::path under_a_file = dir.write("file.txt", "x") / "h.png";
  EXPECT_NE(error_writing(under_a_file, history()).find(under_a_file.string()), std::string::npos);

  fs::path a_directory = dir.path() / "taken";
  fs::create_directories(a_directory / "inside");
  EXPECT_NE(error_writing(a_directory, history()).find(a_directory.string()), std::string::npos);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 2)
      << "a temporary file was left behind";
}

TEST(Plot, ImpossibleSizesAreRunErrors) {
  ftcore::testing::TempDir dir;
  PlotOptions options;
  options.width = 10;
  EXPECT_NE(error_writing(dir.path() / "h.png", history(), options).find("h.png"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.path() / "h.png"));
}
