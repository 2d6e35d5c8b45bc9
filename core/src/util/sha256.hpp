#pragma once
// SHA-256 (FIPS 180-4), for the plugin trust list.
#include <filesystem>
#include <string>
#include <string_view>

namespace ftcore {

/// Lower-case hex digest of a byte string.
std::string sha256_hex(std::string_view data);
/// Lower-case hex digest of a file's contents; throws std::runtime_error if unreadable.
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace ftcore
