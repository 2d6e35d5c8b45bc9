#include "train/checkpoints.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>

#include "errors.hpp"

namespace ftcore::train {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTemporaryTags[] = {".ftcore-tmp-", ".ftcore-old-", ".ftcore-gone-"};

/// ".NAME.ftcore-TAG-RANDOM" beside `target`.
fs::path temporary_sibling(const fs::path& target, const char* tag) {
  std::random_device rd;
  return target.parent_path() / ("." + target.filename().string() + ".ftcore-" + tag + "-" + std::to_string(rd()));
}

void link_tree(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& entry : fs::directory_iterator(from)) {
    if (entry.is_directory()) link_tree(entry.path(), to / entry.path().filename());
    else fs::create_hard_link(entry.path(), to / entry.path().filename());
  }
}

std::int64_t step_of(const fs::path& dir) {
  const std::string name = dir.filename().string();
  const std::string digits = name.substr(std::string("checkpoint-").size());
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 18) return -1;
  return std::stoll(digits);
}

void fsync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw RunError("cannot open " + path.string() + " to flush it: " + std::strerror(errno));
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw RunError("cannot flush " + path.string() + " to disk: " + std::strerror(errno));
}

/// Every file and folder of a tree on disk, so that a rename of it is never seen before its content.
void sync_tree(const fs::path& dir) {
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file() || entry.is_directory()) fsync_path(entry.path());
  fsync_path(dir);
}

/// Swaps two existing paths in one step; false when the file system cannot.
bool exchange(const fs::path& a, const fs::path& b) {
  return ::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0;
}

}  // namespace

void crash_point(const char* point) {
  const char* value = std::getenv("FTCORE_CRASH_AT");
  if (!value || !*value) return;
  const std::string wanted = value;
  static std::mutex mutex;
  static std::map<std::string, int> seen;
  std::lock_guard<std::mutex> lock(mutex);
  const int count = ++seen[point];
  const auto colon = wanted.find(':');
  const std::string name = wanted.substr(0, colon);
  const int nth = colon == std::string::npos ? 1 : std::atoi(wanted.c_str() + colon + 1);
  if (name == point && count == nth) std::raise(SIGKILL);
}

bool is_temporary_name(const std::string& name) {
  if (name.empty() || name[0] != '.') return false;
  for (const char* tag : kTemporaryTags)
    if (name.find(tag) != std::string::npos) return true;
  return false;
}

void write_atomically(const fs::path& target, const std::function<void(const fs::path&)>& write) {
  fs::create_directories(target.parent_path());
  const fs::path staging = temporary_sibling(target, "tmp");
  fs::create_directories(staging);
  try {
    write(staging);
    sync_tree(staging);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw;
  }
  crash_point("staged");
  if (!fs::exists(target)) {
    fs::rename(staging, target);
  } else if (exchange(staging, target)) {  // staging now holds the old folder
    crash_point("exchanged");
    std::error_code ignored;
    fs::remove_all(staging, ignored);
  } else {
    // No RENAME_EXCHANGE here: for a moment there is no `target`; remove_crash_leftovers() puts the
    // old one back if a crash falls into it.
    const fs::path old = temporary_sibling(target, "old");
    fs::rename(target, old);
    crash_point("set-aside");
    fs::rename(staging, target);
    std::error_code ignored;
    fs::remove_all(old, ignored);
  }
  fsync_path(target.parent_path());
}

void publish_alias(const fs::path& checkpoint, const fs::path& alias) {
  write_atomically(alias, [&](const fs::path& staging) {
    fs::remove(staging);
    link_tree(checkpoint, staging);
  });
}

std::vector<fs::path> numbered_checkpoints(const fs::path& checkpoints) {
  std::vector<fs::path> found;
  if (!fs::is_directory(checkpoints)) return found;
  for (const auto& entry : fs::directory_iterator(checkpoints))
    if (entry.is_directory() && entry.path().filename().string().rfind("checkpoint-", 0) == 0 && step_of(entry.path()) >= 0)
      found.push_back(entry.path());
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) { return step_of(a) < step_of(b); });
  return found;
}

void remove_old_checkpoints(const fs::path& checkpoints, std::int64_t keep) {
  if (keep <= 0) return;
  auto found = numbered_checkpoints(checkpoints);
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep) < found.size(); ++i) {
    const fs::path gone = temporary_sibling(found[i], "gone");
    fs::rename(found[i], gone);
    crash_point("prune-renamed");
    fs::remove_all(gone);
  }
}

bool is_complete_checkpoint(const fs::path& dir) {
  for (const char* file : {"trainer_state.json", "trainable.safetensors", "optimizer.safetensors", "rng.safetensors"})
    if (!fs::is_regular_file(dir / file)) return false;
  return true;
}

std::optional<fs::path> latest_checkpoint(const OutputLayout& layout) {
  if (is_complete_checkpoint(layout.last())) return layout.last();
  auto found = numbered_checkpoints(layout.checkpoints());
  for (auto it = found.rbegin(); it != found.rend(); ++it)
    if (is_complete_checkpoint(*it)) return *it;
  return std::nullopt;
}

std::vector<fs::path> remove_crash_leftovers(const fs::path& dir) {
  std::vector<fs::path> cleared;
  if (!fs::is_directory(dir)) return cleared;
  std::vector<fs::path> leftovers;
  for (const auto& entry : fs::directory_iterator(dir))
    if (is_temporary_name(entry.path().filename().string())) leftovers.push_back(entry.path());
  for (const auto& path : leftovers) {
    const std::string name = path.filename().string();
    const auto old_tag = name.find(kTemporaryTags[1]);
    const fs::path original = dir / name.substr(1, old_tag == std::string::npos ? 0 : old_tag - 1);
    if (old_tag != std::string::npos && !fs::exists(original)) {
      fs::rename(path, original);  // set aside, and nothing took its place: it is the one to keep
    } else {
      fs::remove_all(path);
    }
    cleared.push_back(path);
  }
  return cleared;
}

}  // namespace ftcore::train
