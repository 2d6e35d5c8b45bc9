#pragma once
// The run's output directory and the checkpoint folders in it, written so that nothing is ever
// half there: each folder is built under a temporary name, flushed to disk, and swapped into place
// in one step (renameat2 RENAME_EXCHANGE), so that a crash at any moment leaves either the old
// folder or the new one under its name; best/ and last/ are hard-linked copies of a checkpoint.
// Old checkpoints are renamed out of sight before they are deleted. What a crash leaves under
// temporary names (".NAME.ftcore-tmp-*", ".NAME.ftcore-old-*", ".NAME.ftcore-gone-*") is cleared by
// remove_crash_leftovers() when the next run starts.
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
  /// ftcore's own bookkeeping: the lock, the list of what it wrote, a replaced run's state.
  std::filesystem::path bookkeeping() const { return root / ".ftcore"; }
};

/// Calls `write` with an empty temporary sibling of `target`, flushes what it wrote to disk, then
/// puts it in `target`'s place in one step (the old folder, if any, is deleted after). On an
/// exception nothing of the new folder remains and `target` is untouched.
void write_atomically(const std::filesystem::path& target, const std::function<void(const std::filesystem::path&)>& write);

/// `alias` (best/ or last/) becomes a copy of `checkpoint` whose files are hard links (no extra
/// space), swapped in as write_atomically does.
void publish_alias(const std::filesystem::path& checkpoint, const std::filesystem::path& alias);

/// checkpoint-N folders, oldest first.
std::vector<std::filesystem::path> numbered_checkpoints(const std::filesystem::path& checkpoints);

/// Deletes the oldest checkpoint-N folders beyond `keep` (0: keeps all): each is first renamed to a
/// hidden name, so that a crash while deleting never leaves a partial folder that looks real.
void remove_old_checkpoints(const std::filesystem::path& checkpoints, std::int64_t keep);

/// Whether `dir` holds every file of a checkpoint (trainer state, trainable weights, optimizer, rng).
bool is_complete_checkpoint(const std::filesystem::path& dir);

/// The checkpoint to resume from: last/, else the newest complete checkpoint-N.
std::optional<std::filesystem::path> latest_checkpoint(const OutputLayout& layout);

/// Clears what a crash left in `dir` under ftcore's temporary names: staging folders are deleted;
/// a folder set aside to be replaced is put back when nothing took its place (a file system
/// without RENAME_EXCHANGE). Returns what it removed or restored.
std::vector<std::filesystem::path> remove_crash_leftovers(const std::filesystem::path& dir);

/// Whether a name is one of ftcore's temporary names (see remove_crash_leftovers).
bool is_temporary_name(const std::string& name);

/// Test hook: when FTCORE_CRASH_AT names `point` ("point" or "point:N" for its N-th time), the
/// process kills itself there with SIGKILL, as a crash would. Nothing happens otherwise.
void crash_point(const char* point);

}  // namespace ftcore::train
