#pragma once
// The adalora method: PEFT 0.13's AdaLoRA. SVD-shaped adapters (adalora_layer.hpp) whose ranks a
// budget allocator prunes during training: importance |p * grad| of every A, B and E entry,
// smoothed (beta1) with its uncertainty (beta2); per triplet i the score s(E_i) + mean s(A_i,:) +
// mean s(B_:,i); the budget falls from init_r to target_r per layer on a cubic schedule between
// tinit and total_step - tfinal, then the final pattern stays. Unlike the Python Trainer, ftcore's
// trainer calls the allocator after every step. The loss gets the orthogonality penalty
// orth_reg_weight * mean(||A A^T - I||_F, ||B^T B - I||_F). Saved as PEFT saves it: lora_A/lora_B/
// lora_E truncated to the kept ranks and the rank_pattern in adapter_config.json.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ftcore/training_method.hpp"

namespace ftcore::methods {

class AdaLoraMethod final : public TrainingMethod {
 public:
  std::string name() const override { return "adalora"; }
  std::string description() const override;
  std::vector<std::pair<std::string, std::string>> defaults() const override;
  std::unique_ptr<MethodRun> apply(nn::CausalLM& network, const Options& options, const FamilyFacts& facts) const override;
  bool recognises(const std::filesystem::path& dir) const override;
  std::unique_ptr<MethodRun> load(nn::CausalLM& network, const std::filesystem::path& dir, bool trainable) const override;
};

}  // namespace ftcore::methods
