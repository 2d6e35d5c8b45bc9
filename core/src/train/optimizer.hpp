#pragma once
// The trainer's optimizers, each computing what its Python counterpart computes:
//   adamw_torch       torch.optim.AdamW (torch 1.13's single-tensor path, amsgrad and maximize off)
//   adamw_8bit        bitsandbytes' AdamW8bit: both moments stored as blockwise dynamic 8-bit codes
//                     (blocks of 256, one fp32 absmax each); tensors under 4096 elements keep fp32
//                     moments, as bitsandbytes' min_8bit_size does
//   paged_adamw_8bit  the same states; bitsandbytes pages them between GPU and CPU memory. ftcore
//                     does not page (on the CPU there is nothing to page): it is adamw_8bit
//   adafactor         transformers' Adafactor as the HF Trainer builds it for optim="adafactor"
//                     (scale_parameter=False, relative_step=False, no first moment): factored second
//                     moments (row and column means) for tensors of two or more dimensions
// Parameters held in another dtype than fp32 (bf16/fp16 full fine-tuning) get fp32 master weights:
// the update runs on the master and the result is rounded back into the parameter.
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

/// transformers' Adafactor hyperparameters (its defaults).
struct AdafactorOptions {
  double eps1 = 1e-30;           ///< added to grad^2
  double clip_threshold = 1.0;   ///< the update's RMS is clipped to this
  double decay_rate = -0.8;      ///< beta2 at step t = 1 - t^decay_rate
};

/// The trainer's view of every optimizer.
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
  /// step) and a small JSON document. load_state restores both exactly, checking the optimizer's
  /// name, that the parameter count, the groups and every shape match (std::invalid_argument naming
  /// the parameter index and both shapes otherwise); nothing changes when a check fails.
  virtual std::vector<std::pair<std::string, torch::Tensor>> state_tensors() const = 0;
  virtual nlohmann::json state_json() const = 0;
  virtual void load_state(const std::map<std::string, torch::Tensor>& tensors, const nlohmann::json& json) = 0;
  /// Bytes of optimizer state held now (moments, codes, absmax, master weights).
  virtual std::int64_t state_bytes() const = 0;
};

/// Each optimizer over these groups (each with its own weight decay; options.lr is only a default,
/// step() takes the lr). std::invalid_argument for an empty group list, a parameter that is not
/// floating point or that appears twice, a negative weight decay and options torch rejects
/// (negative lr or eps, betas outside [0, 1)). State tensors are named "<index>.<state>", the index
/// counting parameters across groups in order: exp_avg, exp_avg_sq (adamw); state1, state2 (uint8
/// codes, or fp32 below 4096 elements) and absmax1, absmax2 (adamw_8bit, as bitsandbytes names
/// them); exp_avg_sq_row and exp_avg_sq_col, or exp_avg_sq (adafactor); master for master weights.
std::unique_ptr<Optimizer> make_adamw(std::vector<ParamGroup> groups, AdamWOptions options);
std::unique_ptr<Optimizer> make_adamw_8bit(std::vector<ParamGroup> groups, AdamWOptions options);
std::unique_ptr<Optimizer> make_adafactor(std::vector<ParamGroup> groups, AdafactorOptions options = {});

/// The names --optimizer accepts (HF TrainingArguments.optim's spelling), in the order help lists them.
const std::vector<std::string>& optimizer_names();
/// By name: adamw_torch (alias adamw), adamw_8bit, paged_adamw_8bit, adafactor (which ignores the
/// AdamW options). std::invalid_argument for another name, listing these.
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, std::vector<ParamGroup> groups, AdamWOptions options);

}  // namespace ftcore::train
