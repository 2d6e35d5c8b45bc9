#include "train/gradients.hpp"

#include <cmath>
#include <stdexcept>

namespace ftcore::train {

double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads, in_fp32;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad().detach());
  if (grads.empty()) return 0.0;
  const auto device = grads.front().device();
  // torch.norm(g, 2) is linalg.vector_norm over all elements; each grad's norm is taken in fp32. The
  // multi-tensor kernels do every grad at once on a GPU (on the CPU they are the per-tensor operations).
  for (const auto& g : grads) in_fp32.push_back(g.scalar_type() == torch::kFloat32 ? g : g.to(torch::kFloat32));
  auto norms = at::_foreach_norm(in_fp32, 2.0);
  for (auto& n : norms) n = n.to(device);
  const auto total = at::linalg_vector_norm(torch::stack(norms), 2.0, c10::nullopt, false, c10::nullopt);
  const double total_norm = total.item<double>();
  if (max_norm <= 0 || !std::isfinite(total_norm)) return total_norm;
  // max_norm / (total + 1e-6) is Tensor.__rdiv__ in torch: reciprocal, then multiply, in fp32.
  const auto clip_coef = (total + 1e-6).reciprocal() * max_norm;
  at::_foreach_mul_(grads, clip_coef.clamp_max(1.0).item<float>());
  return total_norm;
}

LossScaler::LossScaler(bool enabled) : enabled_(enabled) {}

double LossScaler::scale() const { return enabled_ ? static_cast<double>(scale_) : 1.0; }

bool LossScaler::unscale_and_check(const std::vector<torch::Tensor>& params) {
  backed_off_ = false;
  if (!enabled_) return true;
  torch::NoGradGuard no_grad;
  // GradScaler: inv_scale = scale.double().reciprocal().float(); each grad is checked for inf/nan
  // and multiplied by it (_amp_foreach_non_finite_check_and_unscale_: in fp32, rounded back).
  const auto inv_scale = static_cast<float>(1.0 / static_cast<double>(scale_));
  torch::Tensor found_inf;
  for (const auto& p : params) {
    auto g = p.grad();
    if (!g.defined()) continue;
    auto nonfinite = torch::isfinite(g).logical_not().any();
    found_inf = found_inf.defined() ? found_inf.logical_or(nonfinite.to(found_inf.device())) : nonfinite;
    if (g.scalar_type() == torch::kFloat32) {
      g.mul_(inv_scale);
    } else {
      g.copy_(g.to(torch::kFloat32).mul_(inv_scale));
    }
  }
  if (!found_inf.defined() || !found_inf.item<bool>()) return true;
  scale_ = static_cast<float>(static_cast<double>(scale_) * kBackoffFactor);
  growth_tracker_ = 0;
  backed_off_ = true;
  return false;
}

void LossScaler::update_after_step() {
  if (!enabled_ || backed_off_) return;
  const auto successful = growth_tracker_ + 1;
  if (successful == kGrowthInterval) {
    const auto grown = static_cast<float>(static_cast<double>(scale_) * kGrowthFactor);
    if (std::isfinite(grown)) scale_ = grown;
    growth_tracker_ = 0;
  } else {
    growth_tracker_ = successful;
  }
}

nlohmann::json LossScaler::state() const {
  return {{"enabled", enabled_}, {"scale", static_cast<double>(scale_)}, {"growth_tracker", growth_tracker_}};
}

void LossScaler::load_state(const nlohmann::json& state) {
  if (!state.is_object() || !state.contains("scale") || !state.at("scale").is_number() ||
      !state.contains("growth_tracker") || !state.at("growth_tracker").is_number_integer())
    throw std::invalid_argument("loss scaler state: expected {\"scale\": number, \"growth_tracker\": integer}, got " +
                                state.dump());
  const double scale = state.at("scale").get<double>();
  const auto tracker = state.at("growth_tracker").get<std::int64_t>();
  if (!(scale > 0) || !std::isfinite(scale) || tracker < 0 || tracker >= kGrowthInterval)
    throw std::invalid_argument("loss scaler state: scale must be finite and > 0 and growth_tracker in [0, " +
                                std::to_string(kGrowthInterval) + "), got " + state.dump());
  scale_ = static_cast<float>(scale);
  growth_tracker_ = tracker;
  backed_off_ = false;
}

}  // namespace ftcore::train
