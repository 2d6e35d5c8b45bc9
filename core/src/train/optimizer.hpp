#pragma once
// The trainer's optimizers. AdamW computes exactly what torch.optim.AdamW does (torch 1.13's
// single-tensor path, amsgrad and maximize off), with fp32 master weights for parameters held in
// another dtype (bf16/fp16 full fine-tuning): the update runs on the fp32 master and the result is
// rounded back into the parameter. All optimizer state is fp32, on the parameter's device.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace ftcore::train {

struct ParamGroup {
  std::vector<torch::Tensor> params;
  double weight_decay = 0.0;
};

struct AdamWOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

/// The trainer's view of every optimizer (8-bit AdamW and Adafactor join later).
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  /// One update with this learning rate, from each parameter's .grad(); parameters without a grad
  /// are skipped (their state and step count stay as they are, as in torch). Runs without autograd.
  virtual void step(double lr) = 0;
  /// Sets every grad to undefined (set_to_none).
  virtual void zero_grad() = 0;
  /// Calls of step() so far (restored by load_state).
  virtual std::int64_t steps() const = 0;
  /// Checkpoint state: the tensors (live views: save them with weights::save_file before the next
  /// step) and a small JSON document. load_state restores both exactly, checking that the parameter
  /// count, the groups and every shape match (std::invalid_argument naming the parameter index and
  /// both shapes otherwise).
  virtual std::vector<std::pair<std::string, torch::Tensor>> state_tensors() const = 0;
  virtual nlohmann::json state_json() const = 0;
  virtual void load_state(const std::map<std::string, torch::Tensor>& tensors, const nlohmann::json& json) = 0;
};

/// AdamW over these groups (each with its own weight decay; options.lr is only a default, step()
/// takes the lr). std::invalid_argument for an empty group list, a parameter that is not floating
/// point or that appears twice, and options torch rejects (negative lr or eps, betas outside [0, 1)).
/// State tensors are named "<index>.exp_avg", "<index>.exp_avg_sq" and, for master weights,
/// "<index>.master", the index counting parameters across groups in order.
std::unique_ptr<Optimizer> make_adamw(std::vector<ParamGroup> groups, AdamWOptions options);

}  // namespace ftcore::train
