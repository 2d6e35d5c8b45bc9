#include "train/checkpoints.hpp"

#include <algorithm>
#include <random>

#include "errors.hpp"

namespace ftcore::train {

namespace fs = std::filesystem;

namespace {

fs::path temporary_sibling(const fs::path& target, const char* tag) {
  std::random_device rd;
  return target.parent_path() / ("." + target.filename().string() + "." + tag + "-" + std::to_string(rd()));
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
  try {
    return std::stoll(name.substr(std::string("checkpoint-").size()));
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

std::vector<fs::path> OutputLayout::existing_outputs() const {
  std::vector<fs::path> found;
  for (const auto& name : {"lora", "full", "checkpoints", "logs", "merged", "training_history.png", "config.resolved.yaml"})
    if (fs::exists(root / name)) found.push_back(root / name);
  return found;
}

void OutputLayout::remove_outputs() const {
  for (const auto& path : existing_outputs()) fs::remove_all(path);
}

void write_atomically(const fs::path& target, const std::function<void(const fs::path&)>& write) {
  fs::create_directories(target.parent_path());
  const fs::path staging = temporary_sibling(target, "tmp");
  fs::create_directories(staging);
  try {
    write(staging);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw;
  }
  const fs::path old = temporary_sibling(target, "old");
  if (fs::exists(target)) fs::rename(target, old);
  fs::rename(staging, target);
  std::error_code ignored;
  fs::remove_all(old, ignored);
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
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep) < found.size(); ++i) fs::remove_all(found[i]);
}

std::optional<fs::path> latest_checkpoint(const OutputLayout& layout) {
  if (fs::exists(layout.last() / "trainer_state.json")) return layout.last();
  auto found = numbered_checkpoints(layout.checkpoints());
  for (auto it = found.rbegin(); it != found.rend(); ++it)
    if (fs::exists(*it / "trainer_state.json")) return *it;
  return std::nullopt;
}

}  // namespace ftcore::train
