#pragma once
// `ftcore init-model`: a small random model of any installed family, written as a Hugging Face
// model directory that transformers loads (config.json, generation_config.json,
// model.safetensors, tokenizer.json, tokenizer_config.json with the family's chat template).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ftcore/model_handler.hpp"

namespace ftcore::model {

/// The sizes of a preset: tiny, small, 100m, 500m. UsageError for another name.
ModelSize preset_size(const std::string& preset);
/// The preset's default tokenizer vocabulary.
std::int64_t preset_vocab_size(const std::string& preset);

struct InitOptions {
  std::string preset = "tiny";
  std::int64_t vocab_size = 0;            ///< 0: the preset's
  std::vector<std::string> texts;         ///< tokenizer training text; none: byte tokens only
  std::uint64_t seed = 42;
  std::filesystem::path out;
  bool overwrite = false;                 ///< replace a non-empty `out`
  std::string weights_dtype = "fp32";     ///< fp32, bf16 or fp16: the dtype of model.safetensors
};

/// Writes the model directory (all files first in a temporary sibling directory, then renamed
/// into place). Returns the number of parameters.
std::int64_t init_model(const ModelHandler& handler, const InitOptions& options);

}  // namespace ftcore::model
