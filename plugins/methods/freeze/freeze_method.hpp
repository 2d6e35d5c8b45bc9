#pragma once
// The freeze method (LLaMA-Factory's finetuning_type freeze): only the last (or first) N decoder
// layers train, optionally only some of their modules, plus named modules outside the layers; the
// rest stays frozen. The artefact is the whole model as a Hugging Face model directory, as full
// fine-tuning writes it.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ftcore/training_method.hpp"

namespace ftcore::methods {

class FreezeMethod final : public TrainingMethod {
 public:
  std::string name() const override;
  std::string description() const override;
  std::vector<std::pair<std::string, std::string>> defaults() const override;
  /// Options: freeze-trainable-layers (N > 0: the last N layers, N < 0: the first -N),
  /// freeze-trainable-modules (modules inside those layers, "all" by default), freeze-extra-modules
  /// (modules outside the layers, e.g. embed_tokens, lm_head, norm).
  std::unique_ptr<MethodRun> apply(nn::CausalLM& network, const Options& options, const FamilyFacts& facts) const override;
  /// Never: its model directories are loaded by the full method.
  bool recognises(const std::filesystem::path& dir) const override;
  std::unique_ptr<MethodRun> load(nn::CausalLM& network, const std::filesystem::path& dir, bool trainable) const override;
};

}  // namespace ftcore::methods
