#pragma once
// The user's list of trusted plugin files, by sha256: lines "<sha256>  <path>", '#' comments.
// The path only tells a reader which file a hash was taken from; it is written with control
// characters and backslashes escaped (\n, \xNN, \\), so that a file name cannot add a line.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace ftcore {

class TrustStore {
 public:
  /// $FTCORE_TRUST_FILE, else $XDG_CONFIG_HOME/ftcore/trusted-plugins, else
  /// ~/.config/ftcore/trusted-plugins.
  static std::filesystem::path default_path();

  /// Reads the list; a missing file is an empty list. A line that is not "<64 lower-case hex
  /// digits>[ <path>]" is ignored with a warning naming file:line (also kept in warnings()).
  explicit TrustStore(std::filesystem::path file);

  bool is_trusted(const std::string& sha256) const { return hashes_.count(sha256) > 0; }
  /// Hashes the file and appends it to the list (atomically); returns the hash.
  std::string trust(const std::filesystem::path& plugin);
  const std::filesystem::path& file() const { return file_; }
  /// "file:line: ..." for each line that was ignored.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::filesystem::path file_;
  std::set<std::string> hashes_;
  std::vector<std::string> warnings_;
};

/// `text` with backslashes and control characters escaped (\\, \t, \n, \r, \xNN): one line.
std::string escape_line(const std::string& text);

}  // namespace ftcore
