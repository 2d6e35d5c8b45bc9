#pragma once
// A LoRA layer (PEFT's LoraLayer for Linear and GPT-2's Conv1D):
//   y = base(x) + B(A(dropout(x))) * scaling,   scaling = alpha / r (rsLoRA: alpha / sqrt(r)),
// A [r, in] initialised kaiming-uniform(a = sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)); B [out, r]
// zero, so training starts from the base model. A and B stay fp32 (the master weights); the
// products run in the activation dtype.
//
// DoRA (PEFT's use_dora): a magnitude m [out], initialised to the row norms of W + scaling B A;
// with s = m / ||W + scaling B A||_row (the norm detached, as the paper's section 4.3 and PEFT do),
//   y = base(x) + (s - 1) * (dropout(x) W^T) + s * B(A(dropout(x))) * scaling.
#include <cstdint>
#include <memory>

#include "ftcore/nn/modules.hpp"

namespace ftcore::methods {

struct LoraSettings {
  std::int64_t r = 8;
  double alpha = 8;
  double dropout = 0;
  bool rslora = false;
  bool dora = false;
};

class LoraLinear : public nn::LinearLayer {
 public:
  LoraLinear(std::shared_ptr<nn::LinearLayer> base, const LoraSettings& settings);

  torch::Tensor forward(const torch::Tensor& x) override;
  std::int64_t in_features() const override { return base_->in_features(); }
  std::int64_t out_features() const override { return base_->out_features(); }

  /// A from kaiming-uniform(a = sqrt(5)) drawn with `generator`, B zero (DoRA: m = the row norms).
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
  bool dora() const { return settings_.dora; }
  /// DoRA's magnitude m [out] (undefined without DoRA).
  torch::Tensor& magnitude() { return m_->weight; }

 private:
  struct Matrix : torch::nn::Module {
    explicit Matrix(torch::Tensor value) { weight = register_parameter("weight", std::move(value)); }
    torch::Tensor weight;
  };
  std::shared_ptr<nn::LinearLayer> base_;
  std::shared_ptr<Matrix> a_, b_, m_;
  LoraSettings settings_;
  double scaling_;
  bool merged_ = false;
  torch::Tensor merged_norm_;  ///< DoRA: ||W + delta||_row when merged, to unmerge exactly
  /// The dense base weight as [out, in] (a view: Conv1D stores [in, out]); throws for a quantised base.
  torch::Tensor weight_out_in() const;
  /// The base weight as [out, in] in `dtype`: the dense weight, or a quantised base dequantised.
  torch::Tensor base_weight(torch::ScalarType dtype) const;
  /// ||W + delta||_row in fp32, without gradient.
  torch::Tensor row_norm(const torch::Tensor& weight, const torch::Tensor& delta) const;
};

}  // namespace ftcore::methods
