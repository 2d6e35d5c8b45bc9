// transformers' Adafactor (optimization.py), as the HF Trainer builds it for optim="adafactor":
// scale_parameter=False, relative_step=False, warmup_init=False, beta1=None, so the step size is
// the scheduled lr and there is no first moment.
#include <cmath>

#include "train/param_optimizer.hpp"

namespace ftcore::train {
namespace {

using detail::ParamState;
using detail::StateSpec;

class Adafactor final : public detail::ParamOptimizer {
 public:
  Adafactor(std::vector<ParamGroup> groups, AdafactorOptions options)
      : ParamOptimizer("adafactor", "Adafactor", std::move(groups)), options_(options) {
    check(options_);
  }

 protected:
  static bool factored(const torch::Tensor& p) { return p.dim() >= 2; }

  std::vector<StateSpec> specs(const torch::Tensor& p) const override {
    if (!factored(p)) return {{"exp_avg_sq", p.sizes().vec()}};
    auto row = p.sizes().vec();
    row.pop_back();  // shape[:-1]
    auto col = p.sizes().vec();
    col.erase(col.end() - 2);  // shape[:-2] + shape[-1:]
    return {{"exp_avg_sq_row", row}, {"exp_avg_sq_col", col}};
  }

  /// Adafactor.step for one parameter, operation for operation.
  void update(torch::Tensor& param, const torch::Tensor& grad, ParamState& s, double lr,
              double weight_decay) const override {
    const double beta2t = 1.0 - std::pow(static_cast<double>(s.step), options_.decay_rate);
    auto update = grad.pow(2) + options_.eps1;
    if (factored(param)) {
      auto& row = s.tensors.at("exp_avg_sq_row");
      auto& col = s.tensors.at("exp_avg_sq_col");
      row.mul_(beta2t).add_(update.mean(-1), 1.0 - beta2t);
      col.mul_(beta2t).add_(update.mean(-2), 1.0 - beta2t);
      auto r_factor = (row / row.mean(-1, /*keepdim=*/true)).rsqrt_().unsqueeze(-1);
      auto c_factor = col.unsqueeze(-2).rsqrt();
      update = torch::mul(r_factor, c_factor);
      update.mul_(grad);
    } else {
      auto& sq = s.tensors.at("exp_avg_sq");
      sq.mul_(beta2t).add_(update, 1.0 - beta2t);
      update = sq.rsqrt().mul_(grad);
    }
    update.div_((rms(update) / options_.clip_threshold).clamp_(1.0));
    update.mul_(lr);
    if (weight_decay != 0) param.add_(param, -weight_decay * lr);
    param.add_(-update);
  }

  nlohmann::json hyperparameters() const override {
    return {{"eps1", options_.eps1}, {"clip_threshold", options_.clip_threshold}, {"decay_rate", options_.decay_rate}};
  }

  void load_hyperparameters(const nlohmann::json& json) override {
    AdafactorOptions loaded;
    loaded.eps1 = field(json, "eps1").get<double>();
    loaded.clip_threshold = field(json, "clip_threshold").get<double>();
    loaded.decay_rate = field(json, "decay_rate").get<double>();
    check(loaded);
    options_ = loaded;
  }

 private:
  static torch::Tensor rms(const torch::Tensor& t) { return t.norm(2) / std::sqrt(static_cast<double>(t.numel())); }

  void check(const AdafactorOptions& o) const {
    if (!(o.eps1 >= 0)) fail("invalid eps " + std::to_string(o.eps1));
    if (!(o.clip_threshold > 0)) fail("invalid clip_threshold " + std::to_string(o.clip_threshold) + " (must be > 0)");
    if (!(o.decay_rate < 0)) fail("invalid decay_rate " + std::to_string(o.decay_rate) + " (must be < 0)");
  }

  AdafactorOptions options_;
};

}  // namespace

std::unique_ptr<Optimizer> make_adafactor(std::vector<ParamGroup> groups, AdafactorOptions options) {
  return std::make_unique<Adafactor>(std::move(groups), options);
}

}  // namespace ftcore::train
