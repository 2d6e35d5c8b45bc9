#pragma once
// Loads training data: reads files, picks a format per file (or the one given), converts and
// checks every record. Nothing is dropped silently: every invalid record and every unused
// record is counted and reported.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "data/reader.hpp"
#include "ftcore/registry.hpp"
#include "ftcore/sample.hpp"

namespace ftcore::data {

struct LoadOptions {
  std::optional<std::string> format;        ///< --format; detected per file when absent
  std::optional<std::int64_t> max_examples; ///< --max-examples
};

struct InvalidRecord {
  SourceLocation where;
  std::string format;   ///< "" when the record was not valid JSON or no format matched
  std::string field;    ///< path inside the record, "" for the record as a whole
  std::string message;
  /// "file:line:col: [format] field: message"
  std::string str() const;
};

struct FileSummary {
  std::filesystem::path file;
  FileKind kind = FileKind::json_lines;
  std::string format;          ///< "" when none could be chosen
  bool detected = false;       ///< format chosen by scoring rather than --format
  std::size_t records = 0;     ///< records seen (valid + invalid)
  std::size_t valid = 0;
  std::size_t invalid = 0;
};

struct Dataset {
  std::vector<Sample> samples;
  std::vector<FileSummary> files;
  std::vector<InvalidRecord> invalid;
  std::size_t unused = 0;  ///< valid records beyond --max-examples
};

/// Picks the format whose average score over the first records is highest; "" when every
/// format scores 0.
std::string detect_format(const std::vector<RawRecord>& records, const Registry& registry);

/// Throws UsageError when --format names no installed format, or nothing is installed.
Dataset load_dataset(const std::vector<std::filesystem::path>& files, const Registry& registry,
                     const LoadOptions& options);

}  // namespace ftcore::data
