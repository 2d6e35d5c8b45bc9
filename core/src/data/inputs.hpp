#pragma once
// Turns --data entries (files, globs, directories, comma lists) into the list of files to read.
#include <filesystem>
#include <string>
#include <vector>

namespace ftcore::data {

struct InputSelection {
  std::vector<std::string> entries;  ///< as given: paths, globs, directories
  std::string subset;                ///< read <dir>/<subset> for directory entries
  std::string split;                 ///< keep only <split>.*, <split>-*, <split>_* files from directories
};

struct ResolvedInputs {
  std::vector<std::filesystem::path> files;    ///< in the order given (directories sorted), without duplicates
  std::vector<std::filesystem::path> ignored;  ///< files in directories with unsupported extensions
};

/// Extensions read: .json, .jsonl, .ndjson, .txt.
bool is_data_file(const std::filesystem::path& file);

/// Throws UsageError for an entry that does not exist, a glob matching nothing, or an
/// explicitly named file of an unsupported type.
ResolvedInputs resolve_inputs(const InputSelection& selection);

}  // namespace ftcore::data
