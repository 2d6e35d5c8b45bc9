#include "ftcore/nn/io.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

#include "errors.hpp"
#include "ftcore/nn/modules.hpp"
#include "model/model_config.hpp"
#include "model/model_dir.hpp"
#include "weights/safetensors.hpp"

namespace ftcore::nn {

namespace fs = std::filesystem;

namespace {

// transformers' save_pretrained default max_shard_size.
constexpr std::uint64_t kMaxShardBytes = 5'000'000'000ULL;

const char* torch_dtype_name(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kBFloat16: return "bfloat16";
    case torch::kFloat16: return "float16";
    default: return "float32";
  }
}

}  // namespace

void save_safetensors(const fs::path& file, const NamedTensors& tensors, const std::map<std::string, std::string>& metadata) {
  weights::save_file(file, tensors, metadata);
}

NamedTensors load_safetensors(const fs::path& file) {
  auto st = weights::SafetensorsFile::open(file);
  NamedTensors tensors;
  for (const auto& info : st->tensors()) tensors.emplace_back(info.name, st->tensor(info.name).clone());
  return tensors;
}

void save_model_dir(CausalLM& network, const fs::path& base_model_dir, const fs::path& out) {
  fs::create_directories(out);
  auto tensors = model::checkpoint_tensors(network);
  for (auto& [name, tensor] : tensors) tensor = tensor.detach();
  weights::save_sharded(out, tensors, kMaxShardBytes);
  nlohmann::json config = model::read_config(base_model_dir);
  config["torch_dtype"] = torch_dtype_name(network.dtype());
  std::ofstream(out / "config.json") << config.dump(2) << "\n";
  for (const char* name : {"generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                           "chat_template.jinja"}) {
    fs::path from = base_model_dir / name;
    if (fs::exists(from)) fs::copy_file(from, out / name, fs::copy_options::overwrite_existing);
  }
  if (!fs::exists(out / "config.json")) throw RunError((out / "config.json").string() + ": could not write the file");
}

void load_model_weights(CausalLM& network, const fs::path& dir) { model::load_weights(network, dir, network.dtype()); }

}  // namespace ftcore::nn
