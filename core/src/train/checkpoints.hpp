#pragma once
// The run's output directory and the checkpoint folders in it, written so that nothing is ever
// half there: each folder is built under a temporary name and renamed into place; best/ and last/
// are hard-linked copies of a checkpoint, swapped in by rename.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ftcore::train {

struct OutputLayout {
  std::filesystem::path root;
  std::filesystem::path checkpoints() const { return root / "checkpoints"; }
  std::filesystem::path checkpoint(std::int64_t step) const { return checkpoints() / ("checkpoint-" + std::to_string(step)); }
  std::filesystem::path last() const { return checkpoints() / "last"; }
  std::filesystem::path best() const { return checkpoints() / "best"; }
  std::filesystem::path tensorboard_dir() const { return root / "logs"; }  ///< one run per folder below
  std::filesystem::path logs() const { return tensorboard_dir() / "training"; }
  std::filesystem::path tensorboard_log() const { return tensorboard_dir() / "tensorboard.log"; }  ///< --tensorboard's output
  std::filesystem::path metrics() const { return logs() / "metrics.jsonl"; }
  std::filesystem::path history_plot() const { return root / "training_history.png"; }
  std::filesystem::path resolved_config() const { return root / "config.resolved.yaml"; }
  std::filesystem::path merged() const { return root / "merged"; }
  std::filesystem::path artefact(const std::string& name) const { return root / name; }

  /// What earlier runs left here (only ftcore's own outputs; the model's files are never listed).
  std::vector<std::filesystem::path> existing_outputs() const;
  /// Removes those (for --overwrite).
  void remove_outputs() const;
};

/// Calls `write` with an empty temporary sibling of `target`, then renames it to `target`
/// (replacing what was there). On an exception nothing of the new folder remains.
void write_atomically(const std::filesystem::path& target, const std::function<void(const std::filesystem::path&)>& write);

/// `alias` (best/ or last/) becomes a copy of `checkpoint` whose files are hard links (no extra
/// space), swapped in by rename.
void publish_alias(const std::filesystem::path& checkpoint, const std::filesystem::path& alias);

/// checkpoint-N folders, oldest first.
std::vector<std::filesystem::path> numbered_checkpoints(const std::filesystem::path& checkpoints);

/// Deletes the oldest checkpoint-N folders beyond `keep` (0: keep all).
void remove_old_checkpoints(const std::filesystem::path& checkpoints, std::int64_t keep);

/// The checkpoint to resume from: last/, else the newest checkpoint-N.
std::optional<std::filesystem::path> latest_checkpoint(const OutputLayout& layout);

}  // namespace ftcore::train
