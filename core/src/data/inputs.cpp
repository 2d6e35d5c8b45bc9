#include "data/inputs.hpp"

#include <glob.h>

#include <algorithm>
#include <set>

#include "errors.hpp"
#include "util/text.hpp"

namespace ftcore::data {

namespace fs = std::filesystem;

bool is_data_file(const fs::path& file) {
  static const std::set<std::string> extensions{".json", ".jsonl", ".ndjson", ".txt"};
  return extensions.count(text::lower(file.extension().string())) > 0;
}

namespace {

bool has_glob_chars(const std::string& entry) { return entry.find_first_of("*?[") != std::string::npos; }

std::vector<fs::path> expand_glob(const std::string& pattern) {
  glob_t matches{};
  int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &matches);
  std::vector<fs::path> out;
  if (rc == 0)
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) out.emplace_back(matches.gl_pathv[i]);
  globfree(&matches);
  if (out.empty()) throw UsageError("--data '" + pattern + "': no files match this pattern");
  std::sort(out.begin(), out.end());
  return out;
}

bool in_split(const fs::path& file, const std::string& split) {
  if (split.empty()) return true;
  std::string name = file.filename().string();
  return name.size() > split.size() && text::starts_with(name, split) &&
         std::string(".-_").find(name[split.size()]) != std::string::npos;
}

void add_directory(const fs::path& dir, const InputSelection& selection, ResolvedInputs& out) {
  fs::path root = selection.subset.empty() ? dir : dir / selection.subset;
  if (!fs::is_directory(root))
    throw UsageError("--data '" + dir.string() + "': subset directory '" + root.string() + "' does not exist");
  std::vector<fs::path> found;
  for (const auto& item : fs::recursive_directory_iterator(root, fs::directory_options::follow_directory_symlink)) {
    if (!item.is_regular_file()) continue;
    if (item.path().filename().string().front() == '.') continue;  // editor and VCS leftovers
    if (!is_data_file(item.path()))
      out.ignored.push_back(item.path());
    else if (in_split(item.path(), selection.split))
      found.push_back(item.path());
  }
  if (found.empty())
    throw UsageError("--data '" + dir.string() + "': no .json, .jsonl or .txt files" +
                     (selection.split.empty() ? std::string() : " named " + selection.split + ".*") +
                     " under " + root.string());
  std::sort(found.begin(), found.end());
  out.files.insert(out.files.end(), found.begin(), found.end());
}

void add_file(const fs::path& file, ResolvedInputs& out) {
  if (!is_data_file(file))
    throw UsageError("--data '" + file.string() + "': unsupported file type '" + file.extension().string() +
                     "'; ftcore reads .json (array or JSON lines), .jsonl and .txt");
  out.files.push_back(file);
}

}  // namespace

ResolvedInputs resolve_inputs(const InputSelection& selection) {
  if (selection.entries.empty()) throw UsageError("no training data given: pass --data FILE|DIR|GLOB");
  ResolvedInputs out;
  for (const auto& raw : selection.entries) {
    for (const auto& entry : text::split(raw, ',')) {
      if (has_glob_chars(entry)) {
        for (const auto& match : expand_glob(entry))
          fs::is_directory(match) ? add_directory(match, selection, out) : add_file(match, out);
      } else if (fs::is_directory(entry)) {
        add_directory(entry, selection, out);
      } else if (fs::exists(entry)) {
        add_file(entry, out);
      } else {
        throw UsageError("--data '" + entry + "': no such file or directory");
      }
    }
  }
  std::set<fs::path> seen;
  std::vector<fs::path> unique;
  for (const auto& file : out.files)
    if (seen.insert(fs::weakly_canonical(file)).second) unique.push_back(file);
  out.files = std::move(unique);
  return out;
}

}  // namespace ftcore::data
