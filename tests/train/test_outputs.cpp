// The output directory (issue 28): folders swapped in whole, pruning that a crash cannot leave half
// done, the lock, and --overwrite that removes only what ftcore wrote and only once the new run is
// complete. Crashes are real: a forked child is killed with SIGKILL at a named point
// (FTCORE_CRASH_AT) and the parent looks at what is left.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "errors.hpp"
#include "test_support.hpp"
#include "train/checkpoints.hpp"
#include "train/outputs.hpp"

namespace fs = std::filesystem;
using namespace ftcore::train;
using ftcore::testing::TempDir;

namespace {

std::string read(const fs::path& file) {
  std::ifstream in(file);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

/// A whole checkpoint folder whose files say `label`.
void write_checkpoint(const fs::path& dir, const std::string& label) {
  write_atomically(dir, [&](const fs::path& staging) {
    for (const char* file : {"trainer_state.json", "trainable.safetensors", "optimizer.safetensors", "rng.safetensors"})
      write(staging / file, label);
  });
}

/// Runs `f` in a child process with FTCORE_CRASH_AT=`point`; true when the child was killed there.
bool killed_at(const std::string& point, const std::function<void()>& f) {
  const pid_t pid = fork();
  if (pid == 0) {
    setenv("FTCORE_CRASH_AT", point.c_str(), 1);
    try {
      f();
    } catch (...) {
      _exit(3);
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

// ---- folders swapped in whole ------------------------------------------------------------------

TEST(WriteAtomically, ACrashAfterTheSwapLeavesTheNewFolderAndALeftoverTheNextStartClears) {
  TempDir dir;
  const fs::path target = dir.path() / "lora";
  write_checkpoint(target, "old");
  ASSERT_TRUE(killed_at("exchanged", [&] { write_checkpoint(target, "new"); }));
  EXPECT_EQ(read(target / "trainer_state.json"), "new");
  ASSERT_EQ(names_in(dir.path()).size(), 2u) << "the old folder waits under a temporary name";
  EXPECT_EQ(remove_crash_leftovers(dir.path()).size(), 1u);
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"lora"});
}

TEST(WriteAtomically, ACrashBeforeTheSwapLeavesTheOldFolder) {
  TempDir dir;
  const fs::path target = dir.path() / "last";
  write_checkpoint(target, "old");
  ASSERT_TRUE(killed_at("staged", [&] { write_checkpoint(target, "new"); }));
  EXPECT_EQ(read(target / "trainer_state.json"), "old");
  remove_crash_leftovers(dir.path());
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"last"});
}

TEST(WriteAtomically, AFolderSetAsideWithNothingInItsPlaceIsPutBack) {
  // What a crash leaves on a file system without RENAME_EXCHANGE, between its two renames.
  TempDir dir;
  write(dir.path() / ".last.ftcore-old-123" / "trainer_state.json", "old");
  write(dir.path() / ".checkpoint-4.ftcore-tmp-9" / "trainer_state.json", "half");
  remove_crash_leftovers(dir.path());
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"last"});
  EXPECT_EQ(read(dir.path() / "last" / "trainer_state.json"), "old");
}

// ---- pruning -----------------------------------------------------------------------------------

TEST(RemoveOldCheckpoints, ACrashWhilePruningNeverLeavesAPartialCheckpointThatLooksReal) {
  TempDir dir;
  OutputLayout layout{dir.path()};
  for (int step : {1, 2, 3}) write_checkpoint(layout.checkpoint(step), std::to_string(step));
  ASSERT_TRUE(killed_at("prune-renamed", [&] { remove_old_checkpoints(layout.checkpoints(), 1); }));
  for (const auto& found : numbered_checkpoints(layout.checkpoints())) EXPECT_TRUE(is_complete_checkpoint(found)) << found;
  EXPECT_EQ(latest_checkpoint(layout), layout.checkpoint(3));
  remove_crash_leftovers(layout.checkpoints());
  remove_old_checkpoints(layout.checkpoints(), 1);
  EXPECT_EQ(names_in(layout.checkpoints()), std::vector<std::string>{"checkpoint-3"});
}

TEST(LatestCheckpoint, SkipsAFolderThatIsNotWhole) {
  TempDir dir;
  OutputLayout layout{dir.path()};
  write_checkpoint(layout.checkpoint(2), "2");
  write(layout.checkpoint(4) / "trainer_state.json", "4");  // rng and weights missing
  EXPECT_FALSE(is_complete_checkpoint(layout.checkpoint(4)));
  EXPECT_EQ(latest_checkpoint(layout), layout.checkpoint(2));
}

// ---- the lock ----------------------------------------------------------------------------------

TEST(OutputLock, ASecondRunIsRefusedWithTheHolderNamed) {
  TempDir dir;
  OutputLayout layout{dir.path() / "out"};
  EXPECT_FALSE(OutputLock::holder(layout));
  {
    OutputLock held(layout, "ftcore run --model m");
    const auto holder = OutputLock::holder(layout);
    ASSERT_TRUE(holder);
    EXPECT_NE(holder->find("pid " + std::to_string(getpid())), std::string::npos) << *holder;
    EXPECT_NE(holder->find("running: ftcore run --model m"), std::string::npos) << *holder;
    const std::string message = ftcore::testing::error_of([&] { OutputLock again(layout, "ftcore run"); });
    EXPECT_NE(message.find("is in use by another run (pid " + std::to_string(getpid())), std::string::npos) << message;
  }
  EXPECT_FALSE(OutputLock::holder(layout)) << "released with its holder";
}

TEST(OutputLock, IsReleasedWhenItsHolderIsKilled) {
  TempDir dir;
  OutputLayout layout{dir.path()};
  ASSERT_TRUE(killed_at("locked", [&] {
    OutputLock held(layout, "ftcore run");
    crash_point("locked");
  }));
  EXPECT_FALSE(OutputLock::holder(layout));
  OutputLock mine(layout, "ftcore run");
}

// ---- what is ftcore's ----------------------------------------------------------------------------

TEST(Outputs, OnlyWhatFtcoreWroteCountsAsItsOwn) {
  TempDir dir;
  OutputLayout layout{dir.path()};
  write(dir.path() / "logs" / "server.log", "the model's own logs");  // not ftcore's: logs/training is
  EXPECT_TRUE(existing_outputs(layout).empty());
  write(layout.metrics(), "{}");
  record_output(layout, "logs/training");
  write(layout.artefact("lora") / "adapter_config.json", "{}");
  record_output(layout, "lora");
  EXPECT_EQ(existing_outputs(layout).size(), 2u);
  EXPECT_TRUE(foreign_outputs(layout).empty());

  write(layout.artefact("lora") / "notes.txt", "mine");
  write(layout.checkpoints() / "README", "mine");
  write(layout.logs() / "events.out.tfevents.1.host.1.0", "");
  auto foreign = foreign_outputs(layout);
  ASSERT_EQ(foreign.size(), 2u);
  EXPECT_EQ(foreign[0], layout.artefact("lora") / "notes.txt");
  EXPECT_EQ(foreign[1], layout.checkpoints()) << "checkpoints/ was never recorded: not ftcore's";
}

TEST(Outputs, OverwriteRefusesToRemoveFilesFtcoreDidNotWrite) {
  TempDir dir;
  OutputLayout layout{dir.path()};
  write(layout.artefact("lora") / "adapter_config.json", "{}");
  record_output(layout, "lora");
  write(layout.artefact("lora") / "notes.txt", "mine");
  const std::string message = ftcore::testing::error_of([&] { set_aside_previous_run(layout); });
  EXPECT_NE(message.find("--overwrite replaces only what ftcore wrote, and " + (layout.artefact("lora") / "notes.txt").string() +
                         " was not written by it"),
            std::string::npos)
      << message;
  EXPECT_EQ(read(layout.artefact("lora") / "notes.txt"), "mine");
}

TEST(Outputs, OverwriteKeepsTheEarlierResultsUntilTheNewRunIsComplete) {
  TempDir dir;
  OutputLayout layout{dir.path()};
  auto earlier_run = [&] {
    write_checkpoint(layout.checkpoint(5), "earlier");
    record_output(layout, "checkpoints");
    write(layout.artefact("lora") / "adapter_model.safetensors", "earlier adapter");
    record_output(layout, "lora");
    write(layout.merged() / "model.safetensors", "earlier merged");
    record_output(layout, "merged");
  };
  earlier_run();

  // The new run starts: its state place is free, the earlier artefacts stay where they are.
  set_aside_previous_run(layout);
  EXPECT_TRUE(replacing(layout));
  EXPECT_FALSE(fs::exists(layout.checkpoints()));
  EXPECT_EQ(read(layout.artefact("lora") / "adapter_model.safetensors"), "earlier adapter");

  // It fails: everything is as before.
  write_checkpoint(layout.checkpoint(1), "new");
  record_output(layout, "checkpoints");
  restore_previous_run(layout);
  EXPECT_FALSE(replacing(layout));
  EXPECT_EQ(read(layout.checkpoint(5) / "trainer_state.json"), "earlier");
  EXPECT_FALSE(fs::exists(layout.checkpoint(1)));

  // Again, and this time it completes with a new lora/ and no merged/.
  set_aside_previous_run(layout);
  write_checkpoint(layout.checkpoint(1), "new");
  record_output(layout, "checkpoints");
  write_atomically(layout.artefact("lora"), [&](const fs::path& staging) { write(staging / "adapter_model.safetensors", "new"); });
  record_output(layout, "lora");
  finish_replacing(layout, {"lora"});
  EXPECT_FALSE(replacing(layout));
  EXPECT_EQ(read(layout.artefact("lora") / "adapter_model.safetensors"), "new");
  EXPECT_FALSE(fs::exists(layout.merged())) << "the earlier run's merged/ does not outlive it";
  EXPECT_EQ(names_in(layout.checkpoints()), std::vector<std::string>{"checkpoint-1"});
}

TEST(Outputs, AnOverwriteRunThatWasKilledLeavesTheEarlierResults) {
  TempDir dir;
  OutputLayout layout{dir.path()};
  write_checkpoint(layout.checkpoint(5), "earlier");
  record_output(layout, "checkpoints");
  write(layout.artefact("lora") / "adapter_model.safetensors", "earlier adapter");
  record_output(layout, "lora");
  ASSERT_TRUE(killed_at("killed-while-training", [&] {
    set_aside_previous_run(layout);
    write_checkpoint(layout.checkpoint(1), "new");
    record_output(layout, "checkpoints");
    crash_point("killed-while-training");
  }));
  EXPECT_EQ(read(layout.artefact("lora") / "adapter_model.safetensors"), "earlier adapter");
  EXPECT_TRUE(replacing(layout));
  // A second --overwrite drops the killed run's partial state and still keeps the earlier results.
  set_aside_previous_run(layout);
  EXPECT_FALSE(fs::exists(layout.checkpoint(1)));
  EXPECT_EQ(read(layout.bookkeeping() / "previous" / "checkpoints" / "checkpoint-5" / "trainer_state.json"), "earlier");
}
