#pragma once
// Shared by the parity tests: where the reference files are, loading them, printing strings
// so that invisible characters show.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ftcore::parity {

inline const char* kRunHint =
    "run the parity driver, which builds the reference files and sets FTCORE_PARITY_DIR: "
    "`bash tests/parity/run_parity.sh BUILD_DIR SOURCE_DIR` (or `ctest -R parity_python_reference`)";

/// FTCORE_PARITY_DIR (BUILD_DIR/parity with npm/ and refs/); "" with `error` set when unusable.
inline std::filesystem::path parity_dir(std::string* error = nullptr) {
  const char* dir = std::getenv("FTCORE_PARITY_DIR");
  std::string problem;
  if (dir == nullptr || *dir == '\0') problem = std::string("FTCORE_PARITY_DIR is not set: ") + kRunHint;
  else if (!std::filesystem::is_directory(dir))
    problem = std::string("FTCORE_PARITY_DIR=") + dir + " is not a directory: " + kRunHint;
  if (!problem.empty()) {
    if (error) *error = problem;
    return {};
  }
  return dir;
}

/// A parsed reference file (FTCORE_PARITY_DIR/refs/<name>), or why it could not be had.
struct Reference {
  nlohmann::ordered_json doc;
  std::string error;  ///< non-empty when doc is unusable
};

/// Loads refs/<name> once per process.
inline const Reference& reference_file(const std::string& name) {
  static std::map<std::string, Reference> cache;
  auto found = cache.find(name);
  if (found != cache.end()) return found->second;
  Reference& ref = cache[name];
  auto dir = parity_dir(&ref.error);
  if (dir.empty()) return ref;
  auto file = dir / "refs" / name;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    ref.error = file.string() + " not found: " + kRunHint;
    return ref;
  }
  std::stringstream content;
  content << in.rdbuf();
  try {
    ref.doc = nlohmann::ordered_json::parse(content.str());
  } catch (const std::exception& e) {
    ref.error = file.string() + ": invalid JSON (" + e.what() + "): " + kRunHint;
  }
  return ref;
}

/// A string as a JSON literal with \uXXXX escapes, cut to `limit` bytes.
inline std::string show(const std::string& text, std::size_t limit = 300) {
  std::string shown = nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  if (shown.size() > limit) shown = shown.substr(0, limit) + "...(" + std::to_string(text.size()) + " bytes)";
  return shown;
}

template <typename T>
std::string show_list(const std::vector<T>& items, std::size_t limit = 40) {
  std::ostringstream out;
  out << "[";
  for (std::size_t i = 0; i < items.size() && i < limit; ++i) {
    if (i) out << ", ";
    if constexpr (std::is_same_v<T, std::string>) out << show(items[i], 60);
    else out << items[i];
  }
  if (items.size() > limit) out << ", ... (" << items.size() << " in all)";
  out << "]";
  return out.str();
}

/// Where two strings first differ, with some context of each.
inline std::string first_difference(const std::string& expected, const std::string& actual) {
  std::size_t i = 0;
  while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) ++i;
  std::size_t from = i > 60 ? i - 60 : 0;
  std::ostringstream out;
  out << "first difference at byte " << i << " (expected " << expected.size() << " bytes, actual "
      << actual.size() << ")\n      expected: ..." << show(expected.substr(from, 160), 400)
      << "\n      actual:   ..." << show(actual.substr(from, 160), 400);
  return out.str();
}

}  // namespace ftcore::parity
