#include "train/outputs.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "errors.hpp"
#include "ftcore/files.hpp"
#include "util/text.hpp"

namespace ftcore::train {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The places a run's state goes, and the artefact folders ftcore writes (by the method or --merge).
const std::vector<std::string> kRunState{"checkpoints", "logs/training", "logs/tensorboard.log", "training_history.png",
                                         "config.resolved.yaml"};
const std::vector<std::string> kArtefactNames{"lora", "full", "merged"};

fs::path manifest_file(const OutputLayout& layout) { return layout.bookkeeping() / "outputs.json"; }
fs::path previous_dir(const OutputLayout& layout) { return layout.bookkeeping() / "previous"; }
fs::path lock_file(const OutputLayout& layout) { return layout.bookkeeping() / "lock"; }

bool is_state(const std::string& entry) { return std::find(kRunState.begin(), kRunState.end(), entry) != kRunState.end(); }

/// outputs.json: {"entries": {"checkpoints": {}, "lora": {"files": ["adapter_config.json", ...]}, ...}}.
json read_manifest(const OutputLayout& layout) {
  const fs::path file = manifest_file(layout);
  if (!fs::exists(file)) return json{{"entries", json::object()}};
  try {
    json manifest = json::parse(files::read_regular(file, "list of ftcore's outputs"));
    if (manifest.is_object() && manifest.contains("entries") && manifest["entries"].is_object()) return manifest;
  } catch (const json::exception&) {
  }
  throw UsageError(file.string() + ": not the list of outputs ftcore writes (damaged?); delete it only if you know "
                   "which files in " + layout.root.string() + " are ftcore's");
}

void write_manifest(const OutputLayout& layout, const json& manifest) {
  fs::create_directories(layout.bookkeeping());
  const fs::path file = manifest_file(layout), temp = file.string() + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << manifest.dump(1) << "\n";
    if (!out.flush()) throw RunError("cannot write " + temp.string());
  }
  fs::rename(temp, file);
}

/// The files of a folder, relative to it.
std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& item : fs::recursive_directory_iterator(dir))
    if (!item.is_directory()) out.push_back(item.path().lexically_relative(dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

/// Whether ftcore writes a file of this name directly in a run-state folder.
bool ftcore_child(const std::string& entry, const std::string& name) {
  if (is_temporary_name(name)) return true;
  if (entry == "checkpoints")
    return name == "last" || name == "best" ||
           (name.rfind("checkpoint-", 0) == 0 && name.size() > 11 && name.find_first_not_of("0123456789", 11) == std::string::npos);
  if (entry == "logs/training") return name == "metrics.jsonl" || name.rfind("events.out.tfevents.", 0) == 0;
  return false;
}

/// What in one recorded entry ftcore did not write.
void foreign_in(const OutputLayout& layout, const std::string& entry, const json& record, std::vector<fs::path>& out) {
  const fs::path path = layout.root / entry;
  if (!fs::is_directory(path)) return;
  if (is_state(entry)) {
    for (const auto& item : fs::directory_iterator(path))
      if (!ftcore_child(entry, item.path().filename().string())) out.push_back(item.path());
    return;
  }
  const auto written = record.value("files", std::vector<std::string>{});
  for (const auto& file : files_in(path))
    if (std::find(written.begin(), written.end(), file) == written.end()) out.push_back(path / file);
}

void remove_entry(const OutputLayout& layout, const std::string& entry) {
  std::error_code ignored;
  fs::remove_all(layout.root / entry, ignored);
}

void move(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  fs::rename(from, to);
}

std::string some_paths(const std::vector<fs::path>& paths) {
  std::vector<std::string> shown;
  for (std::size_t i = 0; i < paths.size() && i < 5; ++i) shown.push_back(paths[i].string());
  return text::join(shown, ", ") + (paths.size() > 5 ? " and " + std::to_string(paths.size() - 5) + " more" : "");
}

}  // namespace

// ---- the lock --------------------------------------------------------------------------------

OutputLock::OutputLock(const OutputLayout& layout, const std::string& command_line) {
  fs::create_directories(layout.bookkeeping());
  const fs::path file = lock_file(layout);
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) throw RunError("cannot open the lock " + file.string() + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    const auto who = holder(layout);
    throw UsageError(layout.root.string() + " is in use by another run (" + who.value_or("its holder just ended") +
                     "): wait for it to end, or give another --output");
  }
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const std::time_t now = std::time(nullptr);
  char since[64] = {};
  std::strftime(since, sizeof since, "%Y-%m-%d %H:%M:%S", std::localtime(&now));
  const std::string who = "pid " + std::to_string(::getpid()) + " on " + host + ", since " + since + ", running: " + command_line;
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, who.data(), who.size(), 0) < 0)
    spdlog::debug("could not write the lock holder into {}", file.string());
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

std::optional<std::string> OutputLock::holder(const OutputLayout& layout) {
  const fs::path file = lock_file(layout);
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> who;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    char text[4096] = {};
    const ssize_t got = ::pread(fd, text, sizeof text - 1, 0);
    who = got > 0 ? std::string(text, static_cast<std::size_t>(got)) : std::string("a process that is starting");
  }
  ::close(fd);
  return who;
}

// ---- what is there ---------------------------------------------------------------------------

std::vector<fs::path> existing_outputs(const OutputLayout& layout) {
  std::vector<fs::path> found;
  const json manifest = read_manifest(layout);
  for (const auto& [entry, record] : manifest["entries"].items())
    if (fs::exists(layout.root / entry)) found.push_back(layout.root / entry);
  for (const auto* names : {&kArtefactNames, &kRunState})
    for (const auto& name : *names)
      if (!manifest["entries"].contains(name) && fs::exists(layout.root / name)) found.push_back(layout.root / name);
  return found;
}

std::vector<fs::path> foreign_outputs(const OutputLayout& layout) {
  std::vector<fs::path> out;
  const json manifest = read_manifest(layout);
  for (const auto& [entry, record] : manifest["entries"].items()) foreign_in(layout, entry, record, out);
  for (const auto* names : {&kArtefactNames, &kRunState})
    for (const auto& name : *names)
      if (!manifest["entries"].contains(name) && fs::exists(layout.root / name)) out.push_back(layout.root / name);
  return out;
}

const std::vector<std::string>& run_state_entries() { return kRunState; }

void record_output(const OutputLayout& layout, const std::string& entry) {
  json manifest = read_manifest(layout);
  json record = json::object();
  if (!is_state(entry) && fs::is_directory(layout.root / entry)) record["files"] = files_in(layout.root / entry);
  manifest["entries"][entry] = record;
  write_manifest(layout, manifest);
}

bool replacing(const OutputLayout& layout) { return fs::is_directory(previous_dir(layout)); }

// ---- replacing an earlier run ----------------------------------------------------------------

void set_aside_previous_run(const OutputLayout& layout) {
  if (auto foreign = foreign_outputs(layout); !foreign.empty())
    throw UsageError("--overwrite replaces only what ftcore wrote, and " + some_paths(foreign) +
                     (foreign.size() == 1 ? " was" : " were") + " not written by it: move " +
                     (foreign.size() == 1 ? "it" : "them") + " elsewhere, or give another --output");
  json manifest = read_manifest(layout);
  const fs::path previous = previous_dir(layout);
  const bool unfinished = replacing(layout);
  if (unfinished)
    spdlog::info("an earlier --overwrite run in {} did not finish: its partial state is deleted, and the results it "
                 "was replacing stay in {} until this run completes", layout.root.string(), previous.string());
  for (const auto& entry : kRunState) {
    if (!fs::exists(layout.root / entry)) continue;
    if (unfinished) remove_entry(layout, entry);
    else move(layout.root / entry, previous / entry);
    manifest["entries"].erase(entry);
  }
  fs::create_directories(previous);
  write_manifest(layout, manifest);
}

void finish_replacing(const OutputLayout& layout, const std::vector<std::string>& kept) {
  json manifest = read_manifest(layout);
  std::vector<std::string> stale;
  for (const auto& [entry, record] : manifest["entries"].items())
    if (!is_state(entry) && std::find(kept.begin(), kept.end(), entry) == kept.end()) stale.push_back(entry);
  for (const auto& entry : stale) {
    std::vector<fs::path> foreign;
    foreign_in(layout, entry, manifest["entries"][entry], foreign);
    if (!foreign.empty()) {
      spdlog::warn("{} of the replaced run is kept: it holds files ftcore did not write ({})", (layout.root / entry).string(),
                   some_paths(foreign));
      continue;
    }
    remove_entry(layout, entry);
    manifest["entries"].erase(entry);
  }
  write_manifest(layout, manifest);
  std::error_code ignored;
  fs::remove_all(previous_dir(layout), ignored);
}

void restore_previous_run(const OutputLayout& layout) {
  const fs::path previous = previous_dir(layout);
  if (!fs::is_directory(previous)) return;
  json manifest = read_manifest(layout);
  for (const auto& entry : kRunState) {
    if (manifest["entries"].contains(entry)) remove_entry(layout, entry);  // the failed run's
    manifest["entries"].erase(entry);
    if (!fs::exists(previous / entry)) continue;
    move(previous / entry, layout.root / entry);
    manifest["entries"][entry] = json::object();
  }
  write_manifest(layout, manifest);
  std::error_code ignored;
  fs::remove_all(previous, ignored);
}

void clear_crash_leftovers(const OutputLayout& layout) {
  for (const auto& dir : {layout.root, layout.checkpoints()})
    for (const auto& path : remove_crash_leftovers(dir)) spdlog::info("cleared {} (left by a crash)", path.string());
}

}  // namespace ftcore::train
