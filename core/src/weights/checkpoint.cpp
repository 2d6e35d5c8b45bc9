// Checkpoint: a model directory's weights, one file or an index and its shards.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "errors.hpp"
#include "ftcore/files.hpp"
#include "util/text.hpp"
#include "weights/header.hpp"
#include "weights/safetensors.hpp"

namespace ftcore::weights {
namespace fs = std::filesystem;
namespace {

const char* const kSingleFile = "model.safetensors";
const char* const kIndexFile = "model.safetensors.index.json";

std::string read_text(const fs::path& file) { return files::read_regular(file, "weight index"); }

UsageError no_weights(const fs::path& dir) {
  std::string message = dir.string() + ": no " + kSingleFile + " or " + kIndexFile;
  if (fs::exists(dir / "pytorch_model.bin") || fs::exists(dir / "pytorch_model.bin.index.json"))
    message += " (there is a pytorch_model.bin)";
  return UsageError(message +
                    ". ftcore reads safetensors weights only, not pytorch_model.bin (a Python pickle); convert them with "
                    "transformers: AutoModelForCausalLM.from_pretrained(DIR).save_pretrained(DIR, safe_serialization=True)");
}

// weight_map: tensor name -> shard file name.
std::map<std::string, std::string> read_weight_map(const fs::path& index) {
  nlohmann::json root = parse_json_strict(read_text(index), index.string());
  auto map = root.is_object() ? root.find("weight_map") : root.end();
  if (!root.is_object() || map == root.end() || !map->is_object())
    throw UsageError(index.string() + ": expected an object with \"weight_map\": {tensor name: shard file}");
  std::map<std::string, std::string> weight_map;
  for (const auto& [name, shard] : map->items()) {
    if (!shard.is_string())
      throw UsageError(index.string() + ": weight_map['" + name + "'] must be a file name, got " + shard.dump());
    weight_map[name] = shard.get<std::string>();
  }
  return weight_map;
}

fs::path shard_path(const fs::path& index, const std::string& shard, const std::vector<std::string>& names) {
  fs::path relative(shard);
  std::string tensors = std::to_string(names.size()) + " tensor(s) (the first is '" + names.front() + "') to '" + shard + "'";
  bool escapes = relative.is_absolute() || relative.empty() ||
                 std::any_of(relative.begin(), relative.end(), [](const fs::path& part) { return part == ".."; });
  if (escapes) throw UsageError(index.string() + ": weight_map sends " + tensors + ", which is not a file in the model directory");
  fs::path file = index.parent_path() / relative;
  if (!fs::is_regular_file(file))
    throw UsageError(index.string() + ": weight_map sends " + tensors + ", which does not exist in " +
                     index.parent_path().string());
  return file;
}

}  // namespace

Checkpoint Checkpoint::open(const fs::path& model_dir) {
  Checkpoint checkpoint;
  checkpoint.source_ = model_dir;
  if (fs::is_regular_file(model_dir)) {
    checkpoint.add_file(SafetensorsFile::open(model_dir));
  } else if (!fs::is_directory(model_dir)) {
    throw UsageError(model_dir.string() + ": no such model directory");
  } else if (fs::exists(model_dir / kSingleFile)) {  // first, as transformers does
    checkpoint.add_file(SafetensorsFile::open(model_dir / kSingleFile));
  } else if (fs::exists(model_dir / kIndexFile)) {
    checkpoint.add_index(model_dir / kIndexFile);
  } else {
    throw no_weights(model_dir);
  }
  return checkpoint;
}

void Checkpoint::add_file(std::shared_ptr<SafetensorsFile> file) {
  files_.push_back(std::move(file));
  for (const TensorInfo& t : files_.back()->tensors()) owner_[t.name] = files_.size() - 1;
}

void Checkpoint::add_index(const fs::path& index) {
  std::map<std::string, std::string> weight_map = read_weight_map(index);
  std::map<std::string, std::vector<std::string>> names_by_shard;
  for (const auto& [name, shard] : weight_map) names_by_shard[shard].push_back(name);

  for (const auto& [shard, names] : names_by_shard) {
    auto file = SafetensorsFile::open(shard_path(index, shard, names));
    for (const std::string& name : names)
      if (!file->find(name))
        throw UsageError(index.string() + ": weight_map sends tensor '" + name + "' to '" + shard +
                         "', but that file has no such tensor");
    files_.push_back(file);
    for (const std::string& name : names) owner_[name] = files_.size() - 1;
  }
  // Every tensor listed is where the index says; now the other way round.
  for (const auto& file : files_) {
    for (const TensorInfo& t : file->tensors()) {
      auto listed = owner_.find(t.name);
      if (listed == owner_.end())
        throw UsageError(file->path().string() + ": tensor '" + t.name + "' is not listed in " + index.string() +
                         "; the index and its shards disagree");
      const fs::path& home = files_[listed->second]->path();
      if (home != file->path())
        throw UsageError("tensor '" + t.name + "' is in two shards, " + home.string() + " and " + file->path().string() +
                         " (" + index.string() + " maps it to the first)");
    }
  }
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> names;
  for (const auto& entry : owner_) names.push_back(entry.first);
  return names;
}

const SafetensorsFile& Checkpoint::owner(const std::string& name) const {
  auto it = owner_.find(name);
  if (it == owner_.end())
    throw UsageError(source_.string() + ": the checkpoint has no tensor named '" + name + "'" +
                     text::did_you_mean(name, names()));
  return *files_[it->second];
}

const TensorInfo& Checkpoint::info(const std::string& name) const { return *owner(name).find(name); }
torch::Tensor Checkpoint::tensor(const std::string& name) const { return owner(name).tensor(name); }
fs::path Checkpoint::file_of(const std::string& name) const { return owner(name).path(); }

}  // namespace ftcore::weights
