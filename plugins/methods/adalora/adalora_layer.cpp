#include "adalora/adalora_layer.hpp"

#include <stdexcept>

namespace ftcore::methods {

AdaLoraLinear::AdaLoraLinear(std::shared_ptr<nn::LinearLayer> base, std::int64_t rank, std::int64_t ranknum, double alpha,
                             double dropout)
    : base_(register_module("base_layer", std::move(base))),
      ranknum_(ranknum),
      scaling_(alpha > 0 ? alpha : static_cast<double>(ranknum)),
      dropout_(dropout) {
  lora_A = register_parameter("lora_A", torch::zeros({rank, base_->in_features()}));
  lora_B = register_parameter("lora_B", torch::zeros({base_->out_features(), rank}));
  lora_E = register_parameter("lora_E", torch::zeros({rank, 1}));
  denominator_ = torch::full({1}, static_cast<float>(ranknum)) + 1e-5;
}

void AdaLoraLinear::reset(at::Generator& generator) {
  torch::NoGradGuard no_grad;
  lora_E.zero_();
  lora_A.normal_(0.0, 0.02, generator);
  lora_B.normal_(0.0, 0.02, generator);
}

torch::Tensor AdaLoraLinear::forward(const torch::Tensor& x) {
  auto result = base_->forward(x);
  auto h = x.to(lora_A.scalar_type());
  if (dropout_ > 0) h = torch::dropout(h, dropout_, is_training());
  auto update = torch::matmul(torch::matmul(h, (lora_A * lora_E).t()), lora_B.t()) * scaling_;
  update = update / denominator_.to(update.device());
  return result + update.to(result.scalar_type());
}

torch::Tensor AdaLoraLinear::delta_weight() const {
  return torch::matmul(lora_B, lora_A * lora_E).to(torch::kFloat32) * scaling_ / denominator_.to(lora_A.device());
}

void AdaLoraLinear::merge() {
  auto dense = std::dynamic_pointer_cast<nn::Linear>(base_);
  if (!dense) throw std::runtime_error("cannot merge an AdaLoRA adapter into a quantised base layer");
  torch::NoGradGuard no_grad;
  auto weight = dense->weight_out_in();
  auto delta = delta_weight();
  weight.copy_((weight.to(torch::kFloat32) + delta).to(weight.scalar_type()));
}

}  // namespace ftcore::methods
