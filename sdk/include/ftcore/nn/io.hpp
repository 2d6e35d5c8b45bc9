#pragma once
// Reading and writing tensors and model directories, for plugins (training methods) that save
// artefacts in the Hugging Face formats.

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "ftcore/export.hpp"

namespace ftcore::nn {

class CausalLM;

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

/// A safetensors file as the reference writer lays it out (atomic: temp file + rename).
FTCORE_API void save_safetensors(const std::filesystem::path& file, const NamedTensors& tensors,
                                 const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

/// Every tensor of a safetensors file, sorted by name (copies, independent of the file).
/// Throws a UsageError naming the file and what is wrong with it.
FTCORE_API NamedTensors load_safetensors(const std::filesystem::path& file);

/// A Hugging Face model directory of `network` as it is now: config.json (the base model's, with
/// torch_dtype set to the weights' dtype), model.safetensors (sharded above 5 GB, as
/// save_pretrained does), and the base model's tokenizer and generation files copied.
FTCORE_API void save_model_dir(CausalLM& network, const std::filesystem::path& base_model_dir,
                               const std::filesystem::path& out);

/// The weights of a model directory into `network`, in the network's dtype; a UsageError names
/// every missing, unexpected or wrongly-shaped tensor.
FTCORE_API void load_model_weights(CausalLM& network, const std::filesystem::path& dir);

}  // namespace ftcore::nn
