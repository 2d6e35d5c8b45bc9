#pragma once
// What ftcore keeps in an output directory besides the results (OutputLayout::bookkeeping(),
// ".ftcore/"): a lock held by the run writing there, the list of what ftcore wrote (outputs.json),
// and, while an --overwrite run replaces an earlier one, that run's state (previous/).
//
// ftcore only ever removes what that list names, and inside its folders only the files it writes:
// a file of the user's in lora/, checkpoints/ or logs/training/, or a folder of that name that
// ftcore did not make, stops --overwrite with its path. A model directory's own logs/ is not
// ftcore's: ftcore writes logs/training/ and logs/tensorboard.log in it.
//
// --overwrite keeps the earlier results until the new ones are complete: its artefacts (lora/,
// full/, merged/) stay in place until the new run replaces them in one step, and its state
// (checkpoints/, logs/training/, the plot, the resolved config) waits in .ftcore/previous/ until the
// new run has written its artefact. A new run that fails puts the earlier state back; one that is
// killed leaves it in .ftcore/previous/, and the next run that completes there deletes it.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "train/checkpoints.hpp"

namespace ftcore::train {

/// Held while the object lives (flock on .ftcore/lock, released when the process ends, however it
/// ends), with the holder's pid, host, start time and command line written in the file.
class OutputLock {
 public:
  /// Creates the directory if needed and takes the lock; UsageError naming the holder when another
  /// process has it.
  OutputLock(const OutputLayout& layout, const std::string& command_line);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  /// Who holds the lock now ("pid 123 on host, since ..., running: ..."), or nullopt when nobody does.
  static std::optional<std::string> holder(const OutputLayout& layout);

 private:
  int fd_ = -1;
};

/// The results and run state an earlier run left: what outputs.json lists and is there, and
/// without that list the names ftcore writes (an earlier ftcore, or someone else's folders).
std::vector<std::filesystem::path> existing_outputs(const OutputLayout& layout);

/// What --overwrite may not remove: files in ftcore's output places that ftcore did not write,
/// and outputs there that outputs.json does not list.
std::vector<std::filesystem::path> foreign_outputs(const OutputLayout& layout);

/// Records that ftcore writes `entry` (a path relative to the root): a run-state place, or an
/// artefact folder with the files now in it.
void record_output(const OutputLayout& layout, const std::string& entry);

/// The run-state places ftcore writes (checkpoints, logs/training, the plot, the resolved config).
const std::vector<std::string>& run_state_entries();

/// --overwrite, before anything of the new run is written: the earlier run's state moves to
/// .ftcore/previous/ (when an earlier --overwrite run never finished, its partial state is deleted
/// instead and previous/ kept). UsageError listing foreign_outputs() when there are any.
void set_aside_previous_run(const OutputLayout& layout);

/// The new run has written its artefacts (`kept`, e.g. {"lora", "merged"}): the earlier run's
/// state and its other artefacts are deleted.
void finish_replacing(const OutputLayout& layout, const std::vector<std::string>& kept);

/// The new run failed: its own state is deleted and the earlier run's put back.
void restore_previous_run(const OutputLayout& layout);

/// Whether .ftcore/previous/ holds an earlier run's state (an --overwrite run has not finished).
bool replacing(const OutputLayout& layout);

/// At the start of a run (under the lock): clears crash leftovers in the root and checkpoints/.
void clear_crash_leftovers(const OutputLayout& layout);

}  // namespace ftcore::train
