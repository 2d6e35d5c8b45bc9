#pragma once
// Writing an RGB image as a PNG file with libpng, atomically: a temporary file in the same
// directory, renamed over the target once complete.
#include <cstdint>
#include <filesystem>
#include <vector>

namespace ftcore::monitor {

/// `rgb`: height rows of width R, G, B bytes. Creates missing parent directories. Throws RunError
/// naming the path on failure, leaving no temporary file behind.
void write_png_atomically(const std::filesystem::path& png, int width, int height, const std::vector<std::uint8_t>& rgb);

}  // namespace ftcore::monitor
