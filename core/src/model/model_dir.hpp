#pragma once
// A Hugging Face model directory: config.json, the family's handler, the weights (safetensors),
// tokenizer.json and the chat template, loaded into ftcore's network.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "chat/chat_template.hpp"
#include "model/model_config.hpp"
#include "ftcore/model_handler.hpp"
#include "ftcore/nn/modules.hpp"
#include "ftcore/registry.hpp"
#include "tokenizer/tokenizer.hpp"

namespace ftcore::model {

/// Copies a checkpoint's tensors into the network's parameters (no copy when the dtype already
/// matches: the parameter then views the memory-mapped file), converted to `dtype`. Every missing,
/// unexpected and wrongly-shaped tensor is reported by name in one UsageError.
void load_weights(nn::CausalLM& network, const std::filesystem::path& model_dir, torch::ScalarType dtype);

/// The network's tensors under their checkpoint names (tied lm_head left out, as transformers saves).
std::vector<std::pair<std::string, torch::Tensor>> checkpoint_tensors(nn::CausalLM& network);

/// End-of-sequence ids: generation_config.json's eos_token_id (else config.json's), plus the
/// tokenizer's eos_token from tokenizer_config.json.
std::vector<std::int64_t> eos_ids(const std::filesystem::path& model_dir, const nlohmann::json& config,
                                  const tok::Tokenizer& tokenizer);

struct LoadOptions {
  std::optional<std::string> handler;  ///< --handler
  torch::ScalarType dtype = torch::kFloat32;
  std::string chat_template;           ///< name in a list of templates ("" = default)
  bool weights = true;                 ///< false: random-free empty network (tests, init-model)
};

/// About how many parameters a network of this spec has (its products and embeddings; biases and
/// norms aside), counted in floating point so that absurd sizes cannot overflow.
double approximate_parameters(const nn::DecoderSpec& spec);

/// Refuses, before anything is built, a config.json whose network is larger than the weights beside
/// it hold (UsageError naming the sizes), e.g. num_hidden_layers 1e9 over a small checkpoint.
void check_against_weights(const nn::DecoderSpec& spec, const std::filesystem::path& model_dir);

/// Refuses (RunError) a network whose fp32 weights would not fit in the memory the machine has free.
void check_fits_in_memory(const nn::DecoderSpec& spec, const std::string& what);

/// Everything a command needs from a model directory.
struct Model {
  std::filesystem::path dir;
  nlohmann::json config;
  const ModelHandler* handler = nullptr;
  FamilyFacts facts;
  std::shared_ptr<nn::CausalLM> network;
  std::shared_ptr<tok::Tokenizer> tokenizer;
  std::shared_ptr<chat::ChatTemplate> chat;  ///< the checkpoint's template, else the handler's fallback
};

Model load_model(const std::filesystem::path& dir, const Registry& registry, const LoadOptions& options);

/// "bf16" | "fp16" | "fp32" -> dtype; UsageError for anything else.
torch::ScalarType parse_precision(const std::string& precision);

}  // namespace ftcore::model
