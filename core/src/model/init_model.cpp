#include "model/init_model.hpp"

#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "errors.hpp"
#include "ftcore/nn/modules.hpp"
#include "model/model_dir.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/train.hpp"
#include "util/text.hpp"
#include "weights/safetensors.hpp"

namespace ftcore::model {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Preset {
  ModelSize size;
  std::int64_t vocab_size;
};

// hidden, layers, heads, kv heads, intermediate, max positions; vocabulary.
const std::vector<Preset>& presets() {
  static const std::vector<Preset> table{
      {{"tiny", 64, 2, 4, 2, 176, 2048}, 1024},
      {{"small", 256, 4, 8, 4, 704, 2048}, 2048},
      {{"100m", 768, 12, 12, 4, 2048, 4096}, 32000},
      {{"500m", 1280, 24, 20, 4, 3584, 4096}, 32000},
  };
  return table;
}

const Preset& find_preset(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& preset : presets()) {
    if (preset.size.preset == name) return preset;
    names.push_back(preset.size.preset);
  }
  throw UsageError("--preset '" + name + "': no such preset" + text::did_you_mean(name, names) + "; presets: " +
                   text::join(names, ", "));
}

void write_json(const fs::path& file, const json& value) {
  std::ofstream out(file, std::ios::binary);
  out << value.dump(2) << "\n";
  if (!out) throw RunError(file.string() + ": cannot write the file");
}

/// The tokenizer's special tokens, in id order: pad, bos, eos, then the template's others.
std::vector<std::string> special_token_list(const SpecialTokens& special) {
  std::vector<std::string> tokens;
  for (const auto& token : {special.pad, special.bos, special.eos})
    if (!token.empty() && std::find(tokens.begin(), tokens.end(), token) == tokens.end()) tokens.push_back(token);
  for (const auto& token : special.additional)
    if (std::find(tokens.begin(), tokens.end(), token) == tokens.end()) tokens.push_back(token);
  return tokens;
}

std::int64_t id_of(const tok::Tokenizer& tokenizer, const std::string& token) {
  if (token.empty()) return -1;
  auto id = tokenizer.token_to_id(token);
  return id ? *id : -1;
}

json token_or_null(const std::string& token) { return token.empty() ? json(nullptr) : json(token); }

json tokenizer_config(const FamilyFacts& facts, std::int64_t max_length) {
  const auto& special = facts.special_tokens;
  return json{{"tokenizer_class", "PreTrainedTokenizerFast"},
              {"bos_token", token_or_null(special.bos)},
              {"eos_token", token_or_null(special.eos)},
              {"pad_token", token_or_null(special.pad)},
              {"model_max_length", max_length},
              {"clean_up_tokenization_spaces", false},
              {"chat_template", facts.fallback_chat_template}};
}

json generation_config(const TokenIds& ids) {
  json config{{"_from_model_config", false}};
  if (ids.bos >= 0) config["bos_token_id"] = ids.bos;
  if (ids.eos >= 0) config["eos_token_id"] = ids.eos;
  if (ids.pad >= 0) config["pad_token_id"] = ids.pad;
  return config;
}

/// A sibling directory that disappears unless committed.
class StagingDir {
 public:
  explicit StagingDir(const fs::path& target) {
    std::random_device rd;
    path_ = target.parent_path() / (target.filename().string() + ".tmp-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~StagingDir() {
    std::error_code ignored;
    if (!committed_) fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }
  void commit(const fs::path& target) {
    std::error_code ignored;
    fs::remove_all(target, ignored);
    fs::rename(path_, target);
    committed_ = true;
  }

 private:
  fs::path path_;
  bool committed_ = false;
};

}  // namespace

ModelSize preset_size(const std::string& preset) { return find_preset(preset).size; }

std::int64_t preset_vocab_size(const std::string& preset) { return find_preset(preset).vocab_size; }

std::int64_t init_model(const ModelHandler& handler, const InitOptions& options) {
  const Preset& preset = find_preset(options.preset);
  if (options.out.empty()) throw UsageError("no output directory: pass --output DIR");
  fs::path out = fs::absolute(options.out).lexically_normal();
  if (fs::exists(out) && !fs::is_empty(out) && !options.overwrite)
    throw UsageError("--output '" + options.out.string() + "' exists and is not empty; pass --overwrite to replace it");

  const FamilyFacts facts = handler.facts(json::object());
  tok::BpeTrainingOptions training;
  training.vocab_size = static_cast<std::size_t>(options.vocab_size > 0 ? options.vocab_size : preset.vocab_size);
  training.special_tokens = special_token_list(facts.special_tokens);
  if (facts.special_tokens.add_bos) training.bos_token = facts.special_tokens.bos;
  if (training.vocab_size < 256 + training.special_tokens.size())
    throw UsageError("--vocab-size " + std::to_string(training.vocab_size) + " is too small: the byte tokens and the " +
                     std::to_string(training.special_tokens.size()) + " special tokens need " +
                     std::to_string(256 + training.special_tokens.size()));
  json tokenizer_json = tok::train_byte_level_bpe(options.texts, training);
  tok::Tokenizer tokenizer = tok::Tokenizer::from_json(tokenizer_json, "trained tokenizer");

  TokenIds ids;
  ids.vocab_size = std::max<std::int64_t>(static_cast<std::int64_t>(training.vocab_size),
                                          static_cast<std::int64_t>(tokenizer.vocab_size()));
  ids.bos = id_of(tokenizer, facts.special_tokens.bos);
  ids.eos = id_of(tokenizer, facts.special_tokens.eos);
  ids.pad = id_of(tokenizer, facts.special_tokens.pad);
  json config = handler.make_config(preset.size, ids);

  std::shared_ptr<nn::CausalLM> network;
  try {
    check_fits_in_memory(handler.architecture(config), "init-model --preset " + preset.size.preset);
    network = handler.build(config);
  } catch (const std::invalid_argument& e) {
    throw RunError("handler '" + handler.name() + "' wrote a config.json it cannot build: " + e.what());
  }
  network->init_weights(options.seed);

  fs::create_directories(out.parent_path());
  StagingDir staging(out);
  write_json(staging.path() / "config.json", config);
  write_json(staging.path() / "generation_config.json", generation_config(ids));
  write_json(staging.path() / "tokenizer.json", tokenizer_json);
  write_json(staging.path() / "tokenizer_config.json", tokenizer_config(facts, preset.size.max_positions));
  const torch::ScalarType dtype = parse_precision(options.weights_dtype);
  auto tensors = checkpoint_tensors(*network);
  for (auto& [name, tensor] : tensors) tensor = tensor.to(dtype);
  weights::save_file(staging.path() / "model.safetensors", tensors);
  staging.commit(out);

  std::int64_t count = 0;
  for (const auto& p : network->parameters()) count += p.numel();
  return count;
}

}  // namespace ftcore::model
