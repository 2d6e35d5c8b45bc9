#pragma once
// ModelHandler: one model family (llama, qwen2, gpt2, ...). This header states the family's
// training facts; building the network and mapping weights join it with model loading.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ftcore {

/// What a family tells the engine before anything is loaded.
struct FamilyFacts {
  std::vector<std::string> default_target_modules;  ///< PEFT's defaults, e.g. {"q_proj", "v_proj"}
  std::string training_precision = "bf16";           ///< "bf16" | "fp16" | "fp32"
  std::int64_t max_length = 2048;                    ///< from config.json where it says
  bool gradient_checkpointing = true;                ///< whether it applies to this family
  bool fused_attention = true;                       ///< whether a fused attention kernel applies
  std::string fallback_chat_template;                ///< Jinja, used when the checkpoint has none
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
};

}  // namespace ftcore
