#pragma once
// StopPolicy: one training mode. Policies compose: each adjusts the plan in turn, and after
// every evaluation each is asked whether to go on.

#include <cstdint>
#include <optional>
#include <string>

namespace ftcore {

/// What the trainer will do, before training starts. Policies may change any field.
struct TrainingPlan {
  double epochs = 3;                     ///< passes over the data; <= 0 means no limit
  double learning_rate_scale = 1.0;      ///< multiplies the configured learning rate
  std::int64_t eval_interval_steps = 0;  ///< 0 = once per epoch
  double batch_growth = 1.0;             ///< effective-batch multiplier applied per cycle
  bool auto_stop = true;                 ///< whether loss-based stops may end the run
};

/// The state handed to a policy after each evaluation.
struct Evaluation {
  std::int64_t index = 0;  ///< 1 for the first evaluation
  std::int64_t step = 0;
  double epoch = 0;
  double train_loss = 0;
  std::optional<double> val_loss;
  std::optional<double> best_val_loss;
};

struct StopDecision {
  enum class Action { go_on, stop, adjust };
  Action action = Action::go_on;
  std::string reason;                  ///< printed to the user for stop and adjust
  double learning_rate_scale = 1.0;    ///< adjust: multiplies the current learning rate
  double batch_scale = 1.0;            ///< adjust: multiplies the effective batch
};

class StopPolicy {
 public:
  virtual ~StopPolicy() = default;

  /// Name used with --mode, e.g. "circular".
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;

  virtual void adjust_plan(TrainingPlan& plan) const = 0;
  virtual StopDecision on_evaluation(const Evaluation& evaluation) = 0;
};

}  // namespace ftcore
