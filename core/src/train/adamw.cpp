// AdamW (torch.optim.AdamW) and 8-bit AdamW (bitsandbytes' AdamW8bit) on the shared bookkeeping.
#include <cmath>

#include "ftcore/nn/quant.hpp"
#include "train/param_optimizer.hpp"

namespace ftcore::train {
namespace {

using detail::ParamState;
using detail::StateSpec;

/// The hyperparameters both AdamWs save and check.
class AdamBase : public detail::ParamOptimizer {
 public:
  AdamBase(std::string kind, std::string display, std::vector<ParamGroup> groups, AdamWOptions options)
      : ParamOptimizer(std::move(kind), std::move(display), std::move(groups)), options_(options) {
    check(options_);
  }

 protected:
  nlohmann::json hyperparameters() const override {
    return {{"beta1", options_.beta1}, {"beta2", options_.beta2}, {"eps", options_.eps}};
  }
  void load_hyperparameters(const nlohmann::json& json) override {
    AdamWOptions loaded = options_;
    loaded.beta1 = field(json, "beta1").get<double>();
    loaded.beta2 = field(json, "beta2").get<double>();
    loaded.eps = field(json, "eps").get<double>();
    check(loaded);
    options_ = loaded;
  }
  void check(const AdamWOptions& o) const {
    if (!(o.lr >= 0)) fail("invalid learning rate " + std::to_string(o.lr));
    if (!(o.eps >= 0)) fail("invalid epsilon " + std::to_string(o.eps));
    if (!(o.beta1 >= 0 && o.beta1 < 1)) fail("invalid beta1 " + std::to_string(o.beta1) + " (must be in [0, 1))");
    if (!(o.beta2 >= 0 && o.beta2 < 1)) fail("invalid beta2 " + std::to_string(o.beta2) + " (must be in [0, 1))");
  }
  AdamWOptions options_;
};

class AdamW final : public AdamBase {
 public:
  AdamW(std::vector<ParamGroup> groups, AdamWOptions options)
      : AdamBase("adamw", "AdamW", std::move(groups), options) {}

 protected:
  std::vector<StateSpec> specs(const torch::Tensor& p) const override {
    return {{"exp_avg", p.sizes().vec()}, {"exp_avg_sq", p.sizes().vec()}};
  }

  /// torch's _multi_tensor_adamw: the same operations as update(), each over every parameter at once
  /// (torch's _foreach kernels: one launch per operation on a GPU; one operation per tensor on the
  /// CPU, where they are update()'s own), so the values are update()'s.
  void update_all(std::vector<detail::Update>& updates, double lr) const override {
    if (updates.empty()) return;
    const double beta1 = options_.beta1, beta2 = options_.beta2;
    std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, decayed;
    std::vector<c10::Scalar> decays, bias_correction2_sqrts, step_sizes;
    for (auto& u : updates) {
      params.push_back(*u.param);
      grads.push_back(u.grad);
      exp_avgs.push_back(u.state->tensors.at("exp_avg"));
      exp_avg_sqs.push_back(u.state->tensors.at("exp_avg_sq"));
      if (u.weight_decay != 0) decayed.push_back(*u.param), decays.emplace_back(1 - lr * u.weight_decay);
      const auto step = static_cast<double>(u.state->step);
      bias_correction2_sqrts.emplace_back(std::sqrt(1 - std::pow(beta2, step)));
      step_sizes.emplace_back(-(lr / (1 - std::pow(beta1, step))));
    }
    if (!decayed.empty()) at::_foreach_mul_(decayed, decays);
    at::_foreach_mul_(exp_avgs, beta1);
    at::_foreach_add_(exp_avgs, grads, 1 - beta1);
    at::_foreach_mul_(exp_avg_sqs, beta2);
    at::_foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2);
    auto denoms = at::_foreach_sqrt(exp_avg_sqs);
    at::_foreach_div_(denoms, bias_correction2_sqrts);
    at::_foreach_add_(denoms, options_.eps);
    at::_foreach_addcdiv_(params, exp_avgs, denoms, step_sizes);
  }

  /// torch 1.13's _single_tensor_adamw, operation for operation (amsgrad, maximize, capturable off).
  void update(torch::Tensor& param, const torch::Tensor& grad, ParamState& s, double lr,
              double weight_decay) const override {
    const double beta1 = options_.beta1, beta2 = options_.beta2;
    auto& exp_avg = s.tensors.at("exp_avg");
    auto& exp_avg_sq = s.tensors.at("exp_avg_sq");
    if (weight_decay != 0) param.mul_(1 - lr * weight_decay);
    exp_avg.mul_(beta1).add_(grad, 1 - beta1);
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    const auto step = static_cast<double>(s.step);
    const double bias_correction1 = 1 - std::pow(beta1, step);
    const double bias_correction2 = 1 - std::pow(beta2, step);
    const double step_size = lr / bias_correction1;
    const double bias_correction2_sqrt = std::sqrt(bias_correction2);
    const auto denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(options_.eps);
    param.addcdiv_(exp_avg, denom, -step_size);
  }
};

/// bitsandbytes' AdamW8bit (optim_bits 8, blockwise, no percentile clipping), in the operation order
/// of its CUDA kernel (kOptimizerStatic8bit2StateBlockwise) in IEEE fp32. Tensors of at least
/// min_8bit_size elements keep both moments as 8-bit codes of the dynamic maps (signed for the
/// first moment, unsigned for the second) in blocks of 256; smaller ones keep them in fp32. Each
/// step dequantises the moments, updates them, updates the parameter from the unquantised new
/// values, p += -lr * c2 / c1 * m / (sqrt(v) + eps * c2) with c1 = 1 - beta1^t, c2 = sqrt(1 -
/// beta2^t), then decays it, p *= 1 - lr * wd (after the step, unlike torch's AdamW), and codes
/// the moments again with each block's new absmax.
class AdamW8bit final : public AdamBase {
 public:
  static constexpr std::int64_t kMin8bitSize = 4096, kBlock = 256;

  AdamW8bit(std::vector<ParamGroup> groups, AdamWOptions options)
      : AdamBase("adamw_8bit", "AdamW 8-bit", std::move(groups), options),
        signed_map_(nn::quant::dynamic_map(true)), unsigned_map_(nn::quant::dynamic_map(false)) {}

 protected:
  std::vector<StateSpec> specs(const torch::Tensor& p) const override {
    if (!quantised(p)) return {{"state1", p.sizes().vec()}, {"state2", p.sizes().vec()}};
    const std::vector<std::int64_t> flat{p.numel()}, blocks{(p.numel() + kBlock - 1) / kBlock};
    return {{"state1", flat, torch::kUInt8}, {"absmax1", blocks}, {"state2", flat, torch::kUInt8}, {"absmax2", blocks}};
  }

  void update(torch::Tensor& param, const torch::Tensor& grad, ParamState& s, double lr,
              double weight_decay) const override {
    auto& t = s.tensors;
    if (!quantised(param)) return adam(param, grad, t.at("state1"), t.at("state2"), s.step, lr, weight_decay);
    const auto map1 = signed_map_.to(param.device()), map2 = unsigned_map_.to(param.device());
    auto m = nn::quant::dequantize_blockwise({t.at("state1"), t.at("absmax1")}, map1, kBlock).view(param.sizes());
    auto v = nn::quant::dequantize_blockwise({t.at("state2"), t.at("absmax2")}, map2, kBlock).view(param.sizes());
    adam(param, grad, m, v, s.step, lr, weight_decay);
    auto q1 = nn::quant::quantize_blockwise(m, map1, kBlock);
    auto q2 = nn::quant::quantize_blockwise(v, map2, kBlock);
    // The kernel keeps the first moment's sign: a small negative value never codes to +0.
    const auto flat = m.reshape({-1});
    const auto wrong_sign = torch::signbit(map1.index_select(0, q1.codes.to(torch::kLong))) != torch::signbit(flat);
    q1.codes = (q1.codes.to(torch::kLong) + wrong_sign.to(torch::kLong) * torch::where(flat > 0, 1, -1)).to(torch::kUInt8);
    t.at("state1").copy_(q1.codes);
    t.at("absmax1").copy_(q1.absmax);
    t.at("state2").copy_(q2.codes);
    t.at("absmax2").copy_(q2.absmax);
  }

 private:
  static bool quantised(const torch::Tensor& p) { return p.numel() >= kMin8bitSize; }

  /// In fp32 throughout, as the kernel receives its hyperparameters as C floats.
  void adam(torch::Tensor& param, const torch::Tensor& grad, torch::Tensor& m, torch::Tensor& v, std::int64_t step,
            double lr_, double weight_decay) const {
    const auto beta1 = static_cast<float>(options_.beta1), beta2 = static_cast<float>(options_.beta2);
    const auto eps = static_cast<float>(options_.eps), lr = static_cast<float>(lr_);
    const float c1 = 1.0F - std::pow(beta1, static_cast<float>(step));
    const float c2 = std::sqrt(1.0F - std::pow(beta2, static_cast<float>(step)));
    const float step_size = -lr * c2 / c1;
    v.mul_(beta2).addcmul_(grad, grad, 1.0F - beta2);
    m.mul_(beta1).add_(grad, 1.0F - beta1);
    param.addcdiv_(m, v.sqrt().add_(c2 * eps), step_size);
    if (weight_decay > 0) param.mul_(1.0F - lr * static_cast<float>(weight_decay));
  }

  torch::Tensor signed_map_, unsigned_map_;
};

}  // namespace

std::unique_ptr<Optimizer> make_adamw(std::vector<ParamGroup> groups, AdamWOptions options) {
  return std::make_unique<AdamW>(std::move(groups), options);
}

std::unique_ptr<Optimizer> make_adamw_8bit(std::vector<ParamGroup> groups, AdamWOptions options) {
  return std::make_unique<AdamW8bit>(std::move(groups), options);
}

}  // namespace ftcore::train
