#pragma once
// Helpers for the weights tests: safetensors bytes built by hand, and the message of a failure.
#include <cstdint>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "errors.hpp"
#include "test_support.hpp"
#include "weights/safetensors.hpp"

namespace ftcore::testing {

inline std::string le64(std::uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out;
}

/// A safetensors file: the header's length, the header as given (no padding), then `data`.
inline std::string st_bytes(const std::string& header, const std::string& data = "") {
  return le64(header.size()) + header + data;
}

inline std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// The UsageError message `action` throws, or a note that it threw none.
inline std::string usage_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no UsageError)";
}

}  // namespace ftcore::testing
