#include "lora/lora_layer.hpp"

#include <cmath>
#include <stdexcept>

#include "ftcore/nn/quant.hpp"

namespace ftcore::methods {

LoraLinear::LoraLinear(std::shared_ptr<nn::LinearLayer> base, const LoraSettings& settings)
    : base_(register_module("base_layer", std::move(base))),
      settings_(settings),
      scaling_(settings.rslora ? settings.alpha / std::sqrt(static_cast<double>(settings.r))
                               : settings.alpha / static_cast<double>(settings.r)) {
  a_ = register_module("lora_A", std::make_shared<Matrix>(torch::zeros({settings.r, base_->in_features()})));
  b_ = register_module("lora_B", std::make_shared<Matrix>(torch::zeros({base_->out_features(), settings.r})));
  if (settings.dora) m_ = register_module("lora_magnitude_vector", std::make_shared<Matrix>(torch::zeros({base_->out_features()})));
}

void LoraLinear::reset(at::Generator& generator) {
  torch::NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(static_cast<double>(base_->in_features()));
  a_->weight.uniform_(-bound, bound, generator);
  b_->weight.zero_();
  if (settings_.dora) m_->weight.copy_(row_norm(base_weight(torch::kFloat32), delta_weight()));
}

torch::Tensor LoraLinear::weight_out_in() const {
  auto dense = dense_base();
  if (!dense) throw std::runtime_error("DoRA and merging need a dense base layer, not a quantised one");
  return dense->fan_in_fan_out() ? dense->weight.t() : dense->weight;
}

torch::Tensor LoraLinear::base_weight(torch::ScalarType dtype) const {
  if (auto quantised = std::dynamic_pointer_cast<nn::quant::QuantizedLinear>(base_))
    return nn::quant::dequantize(quantised->weight(), dtype);
  return weight_out_in().to(dtype);
}

torch::Tensor LoraLinear::row_norm(const torch::Tensor& weight, const torch::Tensor& delta) const {
  torch::NoGradGuard no_grad;
  return torch::linalg_norm(weight.to(torch::kFloat32) + delta.to(torch::kFloat32), c10::nullopt, {1}, false, c10::nullopt);
}

torch::Tensor LoraLinear::forward(const torch::Tensor& x) {
  if (merged_) {
    if (is_training() && torch::GradMode::is_enabled() && a_->weight.requires_grad())
      throw std::logic_error("a merged LoRA layer cannot train: unmerge it first");
    return base_->forward(x);
  }
  auto result = base_->forward(x);
  auto h = settings_.dropout > 0 ? torch::dropout(x, settings_.dropout, is_training()) : x;
  const auto dtype = x.scalar_type();
  auto a = a_->weight.scalar_type() == dtype ? a_->weight : a_->weight.to(dtype);
  auto b = b_->weight.scalar_type() == dtype ? b_->weight : b_->weight.to(dtype);
  auto lora = torch::linear(torch::linear(h, a), b);
  if (!settings_.dora) return torch::add(result, lora, scaling_);  // result + scaling * lora in one pass
  // DoRA, as PEFT computes it: the norm in the activation dtype, detached; s promotes to fp32.
  auto weight = base_weight(dtype);
  auto norm = torch::linalg_norm(weight + scaling_ * torch::matmul(b, a).detach(), c10::nullopt, {1}, false, c10::nullopt)
                  .detach();
  auto s = (m_->weight / norm).view({1, -1});
  auto extra = (s - 1) * torch::linear(h, weight) + s * lora * scaling_;
  return (result + extra).to(dtype);
}

torch::Tensor LoraLinear::delta_weight() const {
  return torch::matmul(b_->weight.to(torch::kFloat32), a_->weight.to(torch::kFloat32)) * scaling_;
}

}  // namespace ftcore::methods

namespace ftcore::methods {

void LoraLinear::merge() {
  if (merged_) throw std::logic_error("the LoRA layer is already merged");
  torch::NoGradGuard no_grad;
  auto weight = weight_out_in();
  auto delta = delta_weight();
  auto merged = weight.to(torch::kFloat32) + delta;
  if (settings_.dora) {  // W' = (m / ||W + delta||) (W + delta)
    merged_norm_ = row_norm(weight, delta);
    merged = merged * (m_->weight / merged_norm_).view({-1, 1});
  }
  weight.copy_(merged.to(weight.scalar_type()));
  merged_ = true;
}

void LoraLinear::unmerge() {
  if (!merged_) throw std::logic_error("the LoRA layer is not merged");
  torch::NoGradGuard no_grad;
  auto weight = weight_out_in();
  auto plain = weight.to(torch::kFloat32);
  if (settings_.dora) plain = plain / (m_->weight / merged_norm_).view({-1, 1});
  weight.copy_((plain - delta_weight()).to(weight.scalar_type()));
  merged_ = false;
}

}  // namespace ftcore::methods
