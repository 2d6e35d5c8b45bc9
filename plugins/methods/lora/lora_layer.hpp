#pragma once
// A LoRA layer (PEFT's LoraLayer for Linear and GPT-2's Conv1D):
//   y = base(x) + B(A(dropout(x))) * scaling,   scaling = alpha / r (rsLoRA: alpha / sqrt(r)),
// A [r, in] initialised kaiming-uniform(a = sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)); B [out, r]
// zero, so training starts from the base model. A and B stay fp32 (the master weights); the
// products run in the activation dtype.
#include <cstdint>
#include <memory>

#include "ftcore/nn/modules.hpp"

namespace ftcore::methods {

struct LoraSettings {
  std::int64_t r = 8;
  double alpha = 8;
  double dropout = 0;
  bool rslora = false;
};

class LoraLinear : public nn::LinearLayer {
 public:
  LoraLinear(std::shared_ptr<nn::LinearLayer> base, const LoraSettings& settings);

  torch::Tensor forward(const torch::Tensor& x) override;
  std::int64_t in_features() const override { return base_->in_features(); }
  std::int64_t out_features() const override { return base_->out_features(); }

  /// A from kaiming-uniform(a = sqrt(5)) drawn with `generator`, B zero.
  void reset(at::Generator& generator);
  double scaling() const { return scaling_; }
  std::int64_t rank() const { return settings_.r; }
  /// scaling * B A as [out, in], fp32.
  torch::Tensor delta_weight() const;
  const std::shared_ptr<nn::LinearLayer>& base() const { return base_; }
  /// PEFT's merge/unmerge: adds delta_weight() to the base weight (then the forward is the base's
  /// alone), or takes it out again; the adapter stays. Throws for a quantised base, when already
  /// (un)merged, and a merged layer refuses to train (its A and B would get no gradient).
  void merge();
  void unmerge();
  bool merged() const { return merged_; }
  /// The base as a plain dense layer (what merging needs); nullptr for a quantised base.
  std::shared_ptr<nn::Linear> dense_base() const { return std::dynamic_pointer_cast<nn::Linear>(base_); }

  torch::Tensor& lora_A() { return a_->weight; }
  torch::Tensor& lora_B() { return b_->weight; }

 private:
  struct Matrix : torch::nn::Module {
    explicit Matrix(torch::Tensor value) { weight = register_parameter("weight", std::move(value)); }
    torch::Tensor weight;
  };
  std::shared_ptr<nn::LinearLayer> base_;
  std::shared_ptr<Matrix> a_, b_;
  LoraSettings settings_;
  double scaling_;
  bool merged_ = false;
  /// Adds sign * delta_weight() to the dense base weight.
  void fold(double sign);
};

}  // namespace ftcore::methods
