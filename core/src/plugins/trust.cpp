#include "plugins/trust.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "errors.hpp"
#include "ftcore/files.hpp"
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

std::string escape_line(const std::string& text) {
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (byte < 0x20 || byte == 0x7f) out += std::string("\\x") + kHex[byte >> 4] + kHex[byte & 15];
    else out += c;
  }
  return out;
}

namespace {

bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

bool has_control_characters(const std::string& s) {
  for (const char c : s)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || static_cast<unsigned char>(c) == 0x7f) return true;
  return false;
}

}  // namespace

TrustStore::TrustStore(fs::path file) : file_(std::move(file)) {
  if (!fs::exists(file_)) return;
  std::string content;
  try {
    content = files::read_regular(file_, "trust list");
  } catch (const UsageError& e) {
    warnings_.push_back(std::string(e.what()) + "; no plugin next to a model is trusted");
    spdlog::warn("{}", warnings_.back());
    return;
  }
  std::istringstream in(content);
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    std::string entry = text::trim(line);
    if (entry.empty() || entry[0] == '#') continue;
    const auto space = entry.find_first_of(" \t");
    const std::string hash = entry.substr(0, space);
    if (!is_sha256_hex(hash) || has_control_characters(entry)) {
      warnings_.push_back(file_.string() + ":" + std::to_string(number) +
                          ": ignored: expected '<sha256 in lower-case hex>  <path>', got '" + escape_line(entry) +
                          "'; fix or delete the line (`ftcore plugins trust FILE` writes it)");
      spdlog::warn("{}", warnings_.back());
      continue;
    }
    hashes_.insert(hash);
  }
}

std::string TrustStore::trust(const fs::path& plugin) {
  if (!fs::is_regular_file(plugin))
    throw UsageError("cannot trust '" + plugin.string() + "': no such file");
  std::string hash = sha256_file_hex(plugin);
  if (is_trusted(hash)) return hash;

  std::string updated = fs::exists(file_) ? files::read_regular(file_, "trust list") : std::string();
  if (!updated.empty() && updated.back() != '\n') updated += '\n';
  updated += hash + "  " + escape_line(fs::absolute(plugin).lexically_normal().string()) + "\n";

  fs::create_directories(file_.parent_path());
  fs::path temp = file_;
  temp += ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << updated;
    if (!out.flush()) throw RunError("cannot write " + temp.string());
  }
  fs::rename(temp, file_);
  hashes_.insert(hash);
  return hash;
}

}  // namespace ftcore
