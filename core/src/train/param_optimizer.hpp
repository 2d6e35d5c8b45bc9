#pragma once
// What every optimizer of optimizer.hpp shares: the parameter groups and their checks, lazily
// created per-parameter state (named tensors declared by the optimizer), fp32 master weights for
// parameters in another dtype, and the checkpoint state with its checks. An optimizer says which
// state tensors a parameter needs and how one parameter is updated.
#include <map>
#include <string>
#include <vector>

#include "train/optimizer.hpp"

namespace ftcore::train::detail {

/// A state tensor a parameter needs (zeros at its first step with a grad).
struct StateSpec {
  std::string name;
  std::vector<std::int64_t> shape;
  torch::ScalarType dtype = torch::kFloat32;
};

struct ParamState {
  std::int64_t step = 0;  ///< updates of this parameter (0: no state yet)
  std::map<std::string, torch::Tensor> tensors;
  torch::Tensor master;  ///< fp32 copy for parameters that are not fp32
};

/// One parameter's part of a step: what update() takes.
struct Update {
  torch::Tensor* param;  ///< fp32: the parameter or its master
  torch::Tensor grad;    ///< fp32
  ParamState* state;     ///< its step already counts this update
  double weight_decay;
};

class ParamOptimizer : public Optimizer {
 public:
  /// `kind` is what state_json records ("adamw"); `display` starts every message ("AdamW").
  ParamOptimizer(std::string kind, std::string display, std::vector<ParamGroup> groups);

  void step(double lr) final;
  void zero_grad() final;
  std::int64_t steps() const final { return steps_; }
  std::vector<std::pair<std::string, torch::Tensor>> state_tensors() const final;
  nlohmann::json state_json() const final;
  void load_state(const std::map<std::string, torch::Tensor>& tensors, const nlohmann::json& json) final;
  std::int64_t state_bytes() const final;

 protected:
  /// The state tensors of parameter `p`, in the order they are saved.
  virtual std::vector<StateSpec> specs(const torch::Tensor& p) const = 0;
  /// One update of `param` (fp32: the parameter or its master) from `grad` (fp32); `s.step` counts
  /// this update already.
  virtual void update(torch::Tensor& param, const torch::Tensor& grad, ParamState& s, double lr,
                      double weight_decay) const = 0;
  /// The step's updates of every parameter with a gradient, in parameter order. By default one
  /// update() each; an optimizer may do them all at once (multi-tensor kernels: on a GPU, a few
  /// launches instead of several per parameter), computing the same values.
  virtual void update_all(std::vector<Update>& updates, double lr) const;
  /// The hyperparameters as saved in state_json (top-level keys), and their restoration (which
  /// checks them; called before anything is replaced, so it must throw before changing anything).
  virtual nlohmann::json hyperparameters() const = 0;
  virtual void load_hyperparameters(const nlohmann::json& json) = 0;

  [[noreturn]] void fail(const std::string& message) const;
  /// A field of a saved state document; fails naming it when missing.
  const nlohmann::json& field(const nlohmann::json& json, const char* name) const;
  const std::string& display() const { return display_; }

 private:
  void init_state(std::size_t index);

  std::string kind_, display_;
  std::vector<ParamGroup> groups_;
  std::vector<torch::Tensor> params_;  // all groups' parameters, in order
  std::vector<double> decay_;          // each parameter's group weight decay
  std::vector<ParamState> state_;
  std::int64_t steps_ = 0;
};

}  // namespace ftcore::train::detail
