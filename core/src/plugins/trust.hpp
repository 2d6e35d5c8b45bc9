#pragma once
// The user's list of trusted plugin files, by sha256: lines "<sha256>  <path>", '#' comments.
#include <filesystem>
#include <set>
#include <string>

namespace ftcore {

class TrustStore {
 public:
  /// $FTCORE_TRUST_FILE, else $XDG_CONFIG_HOME/ftcore/trusted-plugins, else
  /// ~/.config/ftcore/trusted-plugins.
  static std::filesystem::path default_path();

  /// Reads the list; a missing file is an empty list. Throws UsageError for a malformed line.
  explicit TrustStore(std::filesystem::path file);

  bool is_trusted(const std::string& sha256) const { return hashes_.count(sha256) > 0; }
  /// Hashes the file and appends it to the list (atomically); returns the hash.
  std::string trust(const std::filesystem::path& plugin);
  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  std::set<std::string> hashes_;
};

}  // namespace ftcore
