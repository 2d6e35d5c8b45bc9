#pragma once
// A PNG decoded with libpng into RGB pixels, for tests of training_history.png (link PNG::PNG).
#include <gtest/gtest.h>
#include <png.h>

#include <cstdint>
#include <filesystem>
#include <vector>

namespace ftcore::testing {

struct Image {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;
  std::uint32_t at(int x, int y) const {
    const std::uint8_t* p = &rgb[(static_cast<std::size_t>(y) * width + x) * 3];
    return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
  }
  /// Pixels of exactly `rgb` in the middle of the image, away from the title, labels and legend.
  int count_inside(std::uint32_t color) const {
    int count = 0;
    for (int y = height / 5; y < height * 4 / 5; ++y)
      for (int x = width / 8; x < width * 7 / 10; ++x) count += at(x, y) == color;
    return count;
  }
};

inline Image decode(const std::filesystem::path& file) {
  png_image header{};
  header.version = PNG_IMAGE_VERSION;
  Image image;
  if (!png_image_begin_read_from_file(&header, file.c_str())) {
    ADD_FAILURE() << "not a PNG: " << file << ": " << header.message;
    return image;
  }
  EXPECT_EQ(header.format & PNG_FORMAT_FLAG_ALPHA, 0u) << "expected RGB without alpha";
  header.format = PNG_FORMAT_RGB;
  image.width = static_cast<int>(header.width);
  image.height = static_cast<int>(header.height);
  image.rgb.resize(PNG_IMAGE_SIZE(header));
  if (!png_image_finish_read(&header, nullptr, image.rgb.data(), 0, nullptr)) ADD_FAILURE() << header.message;
  return image;
}

}  // namespace ftcore::testing
