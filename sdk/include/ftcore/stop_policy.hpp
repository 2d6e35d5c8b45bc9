#pragma once
// StopPolicy: one training mode (--mode slow, circular, ...). Policies compose: the engine checks
// their conflicts, applies their option defaults, lets each adjust the plan in the order given,
// and after every evaluation asks each whether to go on, stop or adjust.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ftcore/options.hpp"

namespace ftcore {

/// What the data is for, detected from the samples (or --task-type); the stop rules' defaults
/// depend on it (docs/modes.md).
enum class TaskType { instruction, text_generation };

inline const char* task_type_name(TaskType task) {
  return task == TaskType::instruction ? "instruction" : "text-generation";
}

/// What the trainer will do, before training starts. Policies may change any field.
struct TrainingPlan {
  double epochs = 3;                   ///< passes (cycles) over the data; <= 0 means no limit
  double learning_rate_scale = 1.0;    ///< multiplies a learning rate the user did not give
  double evaluations_per_epoch = 1;    ///< when --eval-steps is not given
  double batch_growth = 1.0;           ///< effective-batch multiplier per epoch (cycle)
  double max_batch_scale = 1.0;        ///< growth stops at this multiple of the starting batch
  bool auto_stop = true;               ///< false: no policy's stop ends the run (force-epochs)
  bool finish_on_interrupt = false;    ///< SIGINT ends the run with its outputs (non-stop)
  TaskType task = TaskType::instruction;
};

/// The state handed to a policy after each evaluation.
struct Evaluation {
  std::int64_t index = 0;  ///< 1 for the first evaluation
  std::int64_t step = 0;
  double epoch = 0;
  double train_loss = 0;                 ///< mean per trained token since the previous evaluation
  std::optional<double> val_loss;        ///< absent without validation data
  std::optional<double> best_val_loss;   ///< including this evaluation's
  std::int64_t evaluations_since_best = 0;  ///< 0 when this evaluation is the best so far
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

  /// Option defaults of this mode as (option key, value), e.g. {"epochs", "5"}: above the method's
  /// defaults, below YAML and the command line.
  virtual std::vector<std::pair<std::string, std::string>> defaults() const { return {}; }
  /// Modes that cannot run together with this one, as (mode name, why).
  virtual std::vector<std::pair<std::string, std::string>> conflicts() const { return {}; }

  /// Before training, in the order the modes were given, with the resolved options. Throws
  /// std::invalid_argument naming the option for a value it cannot work with.
  virtual void adjust_plan(TrainingPlan& plan, const Options& options) = 0;
  /// What this mode does in this run, for the log (after adjust_plan).
  virtual std::string summary() const { return name(); }
  /// After every evaluation. A policy's state must follow from the evaluations it was shown:
  /// a resumed run shows it the earlier ones again, in order, and ignores the answers.
  virtual StopDecision on_evaluation(const Evaluation& evaluation) = 0;
};

}  // namespace ftcore
