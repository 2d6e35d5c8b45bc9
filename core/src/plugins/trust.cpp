#include "plugins/trust.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "errors.hpp"
#include "util/sha256.hpp"
#include "util/text.hpp"

namespace ftcore {

namespace fs = std::filesystem;

fs::path TrustStore::default_path() {
  if (const char* explicit_file = std::getenv("FTCORE_TRUST_FILE"); explicit_file && *explicit_file)
    return explicit_file;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    return fs::path(xdg) / "ftcore" / "trusted-plugins";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : ".") / ".config" / "ftcore" / "trusted-plugins";
}

namespace {
bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}
}  // namespace

TrustStore::TrustStore(fs::path file) : file_(std::move(file)) {
  std::ifstream in(file_);
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    std::string content = text::trim(line);
    if (content.empty() || content[0] == '#') continue;
    std::string hash = content.substr(0, content.find_first_of(" \t"));
    if (!is_sha256_hex(hash))
      throw UsageError(file_.string() + ":" + std::to_string(number) +
                       ": expected '<sha256 in lower-case hex>  <path>', got '" + content +
                       "'; fix or delete the line");
    hashes_.insert(hash);
  }
}

std::string TrustStore::trust(const fs::path& plugin) {
  if (!fs::is_regular_file(plugin))
    throw UsageError("cannot trust '" + plugin.string() + "': no such file");
  std::string hash = sha256_file_hex(plugin);
  if (is_trusted(hash)) return hash;

  std::ostringstream updated;
  if (std::ifstream old(file_); old) updated << old.rdbuf();
  updated << hash << "  " << fs::absolute(plugin).lexically_normal().string() << "\n";

  fs::create_directories(file_.parent_path());
  fs::path temp = file_;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << updated.str();
    if (!out.flush()) throw RunError("cannot write " + temp.string());
  }
  fs::rename(temp, file_);
  hashes_.insert(hash);
  return hash;
}

}  // namespace ftcore
