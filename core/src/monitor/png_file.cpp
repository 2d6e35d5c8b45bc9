#include "monitor/png_file.hpp"

#include <png.h>
#include <unistd.h>

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>

#include "errors.hpp"

namespace ftcore::monitor {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMessageSize = 256;

void on_png_error(png_structp png, png_const_charp message) {
  std::snprintf(static_cast<char*>(png_get_error_ptr(png)), kMessageSize, "%s", message);
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

/// Encodes the rows into `file`; false with libpng's message in `error` (kMessageSize bytes).
/// Only trivially destructible locals here: libpng reports errors with longjmp.
bool encode_png(std::FILE* file, int width, int height, png_bytep* rows, char* error) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, error, on_png_error, on_png_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    std::snprintf(error, kMessageSize, "out of memory");
    png_destroy_write_struct(&png, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_init_io(png, file);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

/// Writes the whole file at `path`; returns "" or what went wrong.
std::string write_file(const fs::path& path, int width, int height, const std::vector<std::uint8_t>& rgb) {
  std::vector<png_bytep> rows(static_cast<std::size_t>(height));
  for (int y = 0; y < height; ++y)
    rows[y] = const_cast<png_bytep>(&rgb[static_cast<std::size_t>(y) * width * 3]);
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) return std::strerror(errno);
  char error[kMessageSize] = "";
  bool encoded = encode_png(file, width, height, rows.data(), error);
  if (encoded && (std::fflush(file) != 0 || std::ferror(file))) {
    encoded = false;
    std::snprintf(error, sizeof error, "%s", std::strerror(errno));
  }
  if (std::fclose(file) != 0 && encoded) return std::strerror(errno);
  return encoded ? "" : (error[0] ? error : "PNG encoding failed");
}

}  // namespace

void write_png_atomically(const fs::path& png, int width, int height, const std::vector<std::uint8_t>& rgb) {
  auto failure = [&png](const std::string& why) { return RunError("cannot write plot " + png.string() + ": " + why); };
  std::error_code ec;
  if (png.has_parent_path()) fs::create_directories(png.parent_path(), ec);
  if (ec) throw failure(ec.message());
  fs::path temp = png.parent_path() / ("." + png.filename().string() + "." + std::to_string(::getpid()) + ".tmp");
  std::string error = write_file(temp, width, height, rgb);
  if (error.empty()) {
    fs::rename(temp, png, ec);
    if (ec) error = ec.message();
  }
  if (!error.empty()) {
    fs::remove(temp, ec);
    throw failure(error);
  }
}

}  // namespace ftcore::monitor
