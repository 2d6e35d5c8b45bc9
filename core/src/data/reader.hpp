#pragma once
// Reads one data file into raw records, each with its file:line:column, and reports broken
// JSON per record so one bad line never hides the rest of the file.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ftcore/sample.hpp"

namespace ftcore::data {

enum class FileKind { json_array, json_lines, text_lines };
const char* file_kind_name(FileKind kind);

struct RawRecord {
  SourceLocation where;
  nlohmann::json value;  ///< a .txt line arrives as a JSON string
};

struct RecordError {
  SourceLocation where;
  std::string message;
};

struct FileRecords {
  std::filesystem::path file;
  FileKind kind = FileKind::json_lines;
  std::vector<RawRecord> records;
  std::vector<RecordError> errors;  ///< records that are not valid JSON
};

/// .txt: one record per non-empty line. .json starting with '[': a JSON array. Anything else:
/// one JSON value per non-empty line. Throws UsageError only when the file cannot be read.
FileRecords read_records(const std::filesystem::path& file);

/// Same, from memory (`name` is used in locations).
FileRecords parse_records(const std::string& content, const std::filesystem::path& name);

}  // namespace ftcore::data
