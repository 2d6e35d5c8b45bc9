#pragma once
// An AdaLoRA layer (PEFT 0.13's SVDLinear): an SVD-shaped update P Λ Q with
//   y = base(x) + ((dropout(x) (A * E)^T) B^T) * scaling / (ranknum + 1e-5)
// A [r, in] (P), E [r, 1] (the singular values Λ), B [out, r] (Q); scaling = lora_alpha (not
// alpha / r); ranknum = the initial rank, fixed: pruning zeroes entries of E, it does not change
// ranknum. E starts at zero, A and B normal(0, 0.02). Parameters are named lora_A, lora_B and lora_E
// (no ".weight"), as PEFT names them.
#include <cstdint>
#include <memory>

#include "ftcore/nn/modules.hpp"

namespace ftcore::methods {

class AdaLoraLinear : public nn::LinearLayer {
 public:
  /// `rank` rows of A (fewer than `ranknum` for a loaded, pruned adapter).
  AdaLoraLinear(std::shared_ptr<nn::LinearLayer> base, std::int64_t rank, std::int64_t ranknum, double alpha, double dropout);

  torch::Tensor forward(const torch::Tensor& x) override;
  std::int64_t in_features() const override { return base_->in_features(); }
  std::int64_t out_features() const override { return base_->out_features(); }

  /// E zero, A and B normal(0, 0.02) drawn with `generator`.
  void reset(at::Generator& generator);
  std::int64_t rank() const { return lora_A.size(0); }
  std::int64_t ranknum() const { return ranknum_; }
  double scaling() const { return scaling_; }
  const std::shared_ptr<nn::LinearLayer>& base() const { return base_; }
  /// B (A * E) * scaling / (ranknum + 1e-5) as [out, in], fp32.
  torch::Tensor delta_weight() const;
  /// Adds delta_weight() to a dense base's weight (PEFT's merge); throws for a quantised base.
  void merge();

  torch::Tensor lora_A, lora_B, lora_E;

 private:
  std::shared_ptr<nn::LinearLayer> base_;
  std::int64_t ranknum_;
  double scaling_, dropout_;
  torch::Tensor denominator_;  ///< fp32 [1]: ranknum + 1e-5, added in fp32 as PEFT does
};

}  // namespace ftcore::methods
