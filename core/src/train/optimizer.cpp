#include "train/optimizer.hpp"

#include <cmath>
#include <set>
#include <stdexcept>

namespace ftcore::train {
namespace {

/// "[2, 3]", as c10 prints shapes.
std::string shape_text(torch::IntArrayRef shape) { return c10::str(shape); }

/// One parameter's AdamW state; undefined tensors until its first step with a grad (as torch's lazy
/// state). `master` only for parameters whose dtype is not fp32.
struct AdamWState {
  std::int64_t step = 0;
  torch::Tensor exp_avg, exp_avg_sq, master;
};

class AdamW final : public Optimizer {
 public:
  AdamW(std::vector<ParamGroup> groups, AdamWOptions options) : groups_(std::move(groups)), options_(options) {
    check_options();
    std::set<const void*> seen;
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      if (groups_[g].weight_decay < 0)
        throw std::invalid_argument("AdamW: invalid weight_decay " + std::to_string(groups_[g].weight_decay) +
                                    " in parameter group " + std::to_string(g) + " (must be >= 0)");
      for (const auto& p : groups_[g].params) {
        const auto index = params_.size();
        if (!p.defined())
          throw std::invalid_argument("AdamW: parameter " + std::to_string(index) + " is an undefined tensor");
        if (!c10::isFloatingType(p.scalar_type()))
          throw std::invalid_argument("AdamW: parameter " + std::to_string(index) + " has dtype " +
                                      std::string(c10::toString(p.scalar_type())) + "; only floating point is trained");
        if (!seen.insert(p.unsafeGetTensorImpl()).second)
          throw std::invalid_argument("AdamW: parameter " + std::to_string(index) +
                                      " appears more than once in the parameter groups");
        params_.push_back(p);
        decay_.push_back(groups_[g].weight_decay);
      }
    }
    if (params_.empty()) throw std::invalid_argument("AdamW: no parameters to optimize");
    state_.resize(params_.size());
  }

  void step(double lr) override {
    torch::NoGradGuard no_grad;
    ++steps_;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      auto& p = params_[i];
      const auto& grad = p.grad();
      if (!grad.defined()) continue;
      if (grad.is_sparse()) throw std::invalid_argument("AdamW does not support sparse gradients");
      auto& s = state_[i];
      if (s.step == 0) init_state(i);
      update(s.master.defined() ? s.master : p, grad.to(torch::kFloat32), s, lr, decay_[i]);
      if (s.master.defined()) p.copy_(s.master);
    }
  }

  void zero_grad() override {
    for (auto& p : params_) p.mutable_grad().reset();
  }

  std::int64_t steps() const override { return steps_; }

  std::vector<std::pair<std::string, torch::Tensor>> state_tensors() const override {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const auto& s = state_[i];
      if (s.step == 0) continue;
      const auto prefix = std::to_string(i) + ".";
      out.emplace_back(prefix + "exp_avg", s.exp_avg.detach());
      out.emplace_back(prefix + "exp_avg_sq", s.exp_avg_sq.detach());
      if (s.master.defined()) out.emplace_back(prefix + "master", s.master.detach());
    }
    return out;
  }

  nlohmann::json state_json() const override {
    nlohmann::json shapes = nlohmann::json::array(), param_steps = nlohmann::json::array(),
                   groups = nlohmann::json::array();
    for (std::size_t i = 0; i < params_.size(); ++i) {
      shapes.push_back(params_[i].sizes().vec());
      param_steps.push_back(state_[i].step);
    }
    for (const auto& g : groups_) groups.push_back({{"size", g.params.size()}, {"weight_decay", g.weight_decay}});
    return {{"optimizer", "adamw"},
            {"steps", steps_},
            {"beta1", options_.beta1},
            {"beta2", options_.beta2},
            {"eps", options_.eps},
            {"groups", groups},
            {"shapes", shapes},
            {"param_steps", param_steps}};
  }

  void load_state(const std::map<std::string, torch::Tensor>& tensors, const nlohmann::json& json) override {
    torch::NoGradGuard no_grad;
    // Everything is checked and converted first; only then is anything replaced.
    if (!json.is_object() || json.value("optimizer", std::string()) != "adamw")
      throw std::invalid_argument("AdamW state: not an AdamW state (\"optimizer\" is not \"adamw\")");
    const auto& shapes = field(json, "shapes");
    const auto& param_steps = field(json, "param_steps");
    const auto& groups = field(json, "groups");
    if (!shapes.is_array() || !param_steps.is_array() || shapes.size() != param_steps.size())
      throw std::invalid_argument("AdamW state: \"shapes\" and \"param_steps\" must be arrays of one length");
    if (shapes.size() != params_.size())
      throw std::invalid_argument("AdamW state: saved for " + std::to_string(shapes.size()) +
                                  " parameters, this optimizer has " + std::to_string(params_.size()));
    if (!groups.is_array() || groups.size() != groups_.size())
      throw std::invalid_argument("AdamW state: saved with " + std::to_string(groups.size()) +
                                  " parameter groups, this optimizer has " + std::to_string(groups_.size()));
    for (std::size_t g = 0; g < groups_.size(); ++g)
      if (field(groups[g], "size").get<std::size_t>() != groups_[g].params.size())
        throw std::invalid_argument("AdamW state: parameter group " + std::to_string(g) + " was saved with " +
                                    field(groups[g], "size").dump() + " parameters, here it has " +
                                    std::to_string(groups_[g].params.size()));
    std::vector<AdamWState> loaded(params_.size());
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const auto saved = shapes[i].get<std::vector<std::int64_t>>();
      const auto& p = params_[i];
      if (!p.sizes().equals(saved))
        throw std::invalid_argument("AdamW state: parameter " + std::to_string(i) + " was saved with shape " +
                                    shape_text(saved) + ", this parameter has shape " + shape_text(p.sizes()));
      auto& s = loaded[i];
      s.step = param_steps[i].get<std::int64_t>();
      if (s.step < 0) throw std::invalid_argument("AdamW state: negative step for parameter " + std::to_string(i));
      if (s.step == 0) continue;
      const auto prefix = std::to_string(i) + ".";
      s.exp_avg = state_tensor(tensors, prefix + "exp_avg", p);
      s.exp_avg_sq = state_tensor(tensors, prefix + "exp_avg_sq", p);
      if (needs_master(p)) s.master = state_tensor(tensors, prefix + "master", p);
    }
    options_.beta1 = field(json, "beta1").get<double>();
    options_.beta2 = field(json, "beta2").get<double>();
    options_.eps = field(json, "eps").get<double>();
    check_options();
    const auto steps = field(json, "steps").get<std::int64_t>();
    // As torch's load_state_dict: the saved hyperparameters replace the current ones.
    for (std::size_t g = 0, i = 0; g < groups_.size(); ++g) {
      groups_[g].weight_decay = field(groups[g], "weight_decay").get<double>();
      for (std::size_t k = 0; k < groups_[g].params.size(); ++k) decay_[i++] = groups_[g].weight_decay;
    }
    state_ = std::move(loaded);
    steps_ = steps;
  }

 private:
  static bool needs_master(const torch::Tensor& p) { return p.scalar_type() != torch::kFloat32; }

  static const nlohmann::json& field(const nlohmann::json& json, const char* name) {
    if (!json.is_object() || !json.contains(name))
      throw std::invalid_argument(std::string("AdamW state: missing \"") + name + "\"");
    return json.at(name);
  }

  /// A saved state tensor, checked against its parameter's shape and copied to fp32 on its device.
  static torch::Tensor state_tensor(const std::map<std::string, torch::Tensor>& tensors, const std::string& name,
                                    const torch::Tensor& p) {
    const auto it = tensors.find(name);
    if (it == tensors.end()) throw std::invalid_argument("AdamW state: missing tensor \"" + name + "\"");
    if (!it->second.sizes().equals(p.sizes()))
      throw std::invalid_argument("AdamW state: tensor \"" + name + "\" has shape " + shape_text(it->second.sizes()) +
                                  ", its parameter has shape " + shape_text(p.sizes()));
    auto out = torch::empty(p.sizes(), p.options().dtype(torch::kFloat32));
    out.copy_(it->second);
    return out;
  }

  void check_options() const {
    if (!(options_.lr >= 0)) throw std::invalid_argument("AdamW: invalid learning rate " + std::to_string(options_.lr));
    if (!(options_.eps >= 0)) throw std::invalid_argument("AdamW: invalid epsilon " + std::to_string(options_.eps));
    if (!(options_.beta1 >= 0 && options_.beta1 < 1))
      throw std::invalid_argument("AdamW: invalid beta1 " + std::to_string(options_.beta1) + " (must be in [0, 1))");
    if (!(options_.beta2 >= 0 && options_.beta2 < 1))
      throw std::invalid_argument("AdamW: invalid beta2 " + std::to_string(options_.beta2) + " (must be in [0, 1))");
  }

  void init_state(std::size_t i) {
    const auto& p = params_[i];
    auto& s = state_[i];
    const auto fp32 = p.options().dtype(torch::kFloat32);
    s.exp_avg = torch::zeros(p.sizes(), fp32);
    s.exp_avg_sq = torch::zeros(p.sizes(), fp32);
    if (needs_master(p)) s.master = p.detach().to(torch::kFloat32, /*non_blocking=*/false, /*copy=*/true);
  }

  /// torch 1.13's _single_tensor_adamw, operation for operation (amsgrad, maximize, capturable off).
  void update(torch::Tensor param, const torch::Tensor& grad, AdamWState& s, double lr, double weight_decay) const {
    const double beta1 = options_.beta1, beta2 = options_.beta2;
    ++s.step;
    if (weight_decay != 0) param.mul_(1 - lr * weight_decay);
    s.exp_avg.mul_(beta1).add_(grad, 1 - beta1);
    s.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    const auto step = static_cast<double>(s.step);
    const double bias_correction1 = 1 - std::pow(beta1, step);
    const double bias_correction2 = 1 - std::pow(beta2, step);
    const double step_size = lr / bias_correction1;
    const double bias_correction2_sqrt = std::sqrt(bias_correction2);
    const auto denom = (s.exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(options_.eps);
    param.addcdiv_(s.exp_avg, denom, -step_size);
  }

  std::vector<ParamGroup> groups_;
  AdamWOptions options_;
  std::vector<torch::Tensor> params_;  // all groups' parameters, in order
  std::vector<double> decay_;          // each parameter's group weight decay
  std::vector<AdamWState> state_;
  std::int64_t steps_ = 0;
};

}  // namespace

std::unique_ptr<Optimizer> make_adamw(std::vector<ParamGroup> groups, AdamWOptions options) {
  return std::make_unique<AdamW>(std::move(groups), options);
}

}  // namespace ftcore::train
