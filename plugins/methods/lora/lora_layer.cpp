#include "lora/lora_layer.hpp"

#include <cmath>
#include <stdexcept>

namespace ftcore::methods {

LoraLinear::LoraLinear(std::shared_ptr<nn::LinearLayer> base, const LoraSettings& settings)
    : base_(register_module("base_layer", std::move(base))),
      settings_(settings),
      scaling_(settings.rslora ? settings.alpha / std::sqrt(static_cast<double>(settings.r))
                               : settings.alpha / static_cast<double>(settings.r)) {
  a_ = register_module("lora_A", std::make_shared<Matrix>(torch::zeros({settings.r, base_->in_features()})));
  b_ = register_module("lora_B", std::make_shared<Matrix>(torch::zeros({base_->out_features(), settings.r})));
}

void LoraLinear::reset(at::Generator& generator) {
  torch::NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(static_cast<double>(base_->in_features()));
  a_->weight.uniform_(-bound, bound, generator);
  b_->weight.zero_();
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
  return result + torch::linear(torch::linear(h, a), b) * scaling_;
}

torch::Tensor LoraLinear::delta_weight() const {
  return torch::matmul(b_->weight.to(torch::kFloat32), a_->weight.to(torch::kFloat32)) * scaling_;
}

}  // namespace ftcore::methods

namespace ftcore::methods {

void LoraLinear::fold(double sign) {
  auto dense = dense_base();
  if (!dense) throw std::runtime_error("cannot merge a LoRA adapter into a quantised base layer");
  torch::NoGradGuard no_grad;
  auto& weight = dense->weight;
  auto delta = delta_weight() * sign;
  weight.copy_((weight.to(torch::kFloat32) + (dense->fan_in_fan_out() ? delta.t() : delta)).to(weight.scalar_type()));
}

void LoraLinear::merge() {
  if (merged_) throw std::logic_error("the LoRA layer is already merged");
  fold(1.0);
  merged_ = true;
}

void LoraLinear::unmerge() {
  if (!merged_) throw std::logic_error("the LoRA layer is not merged");
  fold(-1.0);
  merged_ = false;
}

}  // namespace ftcore::methods
