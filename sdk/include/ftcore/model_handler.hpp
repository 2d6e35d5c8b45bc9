#pragma once
// ModelHandler: one model family (llama, qwen2, gpt2, ...). It recognises a checkpoint, reads its
// config.json into the network description (nn::DecoderSpec, whose module names are the
// checkpoint's tensor names), states the family's training facts, and writes the config.json of a
// random model for `ftcore init-model`. No torch headers needed.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ftcore/nn/spec.hpp"

namespace ftcore {

/// Special tokens of the family's chat template; `ftcore init-model` gives its tokenizer these.
struct SpecialTokens {
  std::string bos, eos, pad;
  std::vector<std::string> additional;  ///< e.g. "<|im_start|>", "<|im_end|>"
  bool add_bos = false;                 ///< the tokenizer's post-processor puts BOS in front
};

/// What a family tells the engine before anything is loaded.
struct FamilyFacts {
  std::vector<std::string> default_target_modules;  ///< PEFT's defaults, e.g. {"q_proj", "v_proj"}
  std::string training_precision = "bf16";           ///< "bf16" | "fp16" | "fp32"
  std::int64_t max_length = 2048;                    ///< from config.json where it says
  bool gradient_checkpointing = true;                ///< whether it applies to this family
  bool quantizable = true;                           ///< whether its linear layers may be held in 4/8 bits (qlora)
  bool fused_attention = true;                       ///< whether a fused attention kernel applies
  std::string fallback_chat_template;                ///< Jinja, used when the checkpoint has none
  SpecialTokens special_tokens;                      ///< those the fallback template uses
};

/// Sizes of a random model (`ftcore init-model --preset`).
struct ModelSize {
  std::string preset;  ///< "tiny", "small", "100m", "500m"
  std::int64_t hidden_size, num_layers, num_heads, num_kv_heads, intermediate_size, max_positions;
};

/// Token ids of a random model's tokenizer, for its config.json.
struct TokenIds {
  std::int64_t vocab_size = 0;
  std::int64_t bos = -1, eos = -1, pad = -1;  ///< -1: none
};

class ModelHandler {
 public:
  virtual ~ModelHandler() = default;

  /// Name used with --handler, e.g. "llama".
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;

  /// How well this handler fits a checkpoint's config.json (model_type / architectures):
  /// 0 = not this family; higher wins when several claim it.
  virtual int recognise(const nlohmann::json& config) const = 0;

  /// The family's facts for this checkpoint. Throws std::invalid_argument naming the
  /// config.json key when the config is unusable.
  virtual FamilyFacts facts(const nlohmann::json& config) const = 0;

  /// The network of this checkpoint. Throws std::invalid_argument naming the config.json key
  /// when a value is missing, of the wrong type, or a variant ftcore does not implement.
  virtual nn::DecoderSpec architecture(const nlohmann::json& config) const = 0;

  /// Builds the modules (weights uninitialised). The default assembles architecture() from the
  /// SDK blocks; a family with a block of its own overrides this.
  virtual std::shared_ptr<nn::CausalLM> build(const nlohmann::json& config) const {
    return nn::build_decoder(architecture(config));
  }

  /// config.json of a random model of this family, as transformers writes it for these sizes.
  virtual nlohmann::json make_config(const ModelSize& size, const TokenIds& tokens) const = 0;
};

}  // namespace ftcore
