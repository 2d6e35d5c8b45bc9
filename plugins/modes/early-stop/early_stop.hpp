#pragma once
// early-stop: the auto-stop rules, on unless --auto-stop false (or force-epochs / non-stop).
//  - diverged: the training loss is not finite;
//  - perfect loss: the training loss since the last evaluation is at or below --perfect-loss;
//  - perplexity explosion (text-generation tasks): validation perplexity more than twice its best;
//  - patience: --patience evaluations in a row without a better validation loss;
//  - overfitting: validation loss above training loss by more than --overfitting-threshold (a
//    fraction of the training loss) at an evaluation that is not the best.
// Thresholds a user does not give follow the task type (one row per task of thresholds()). The
// engine adds this mode last, so it sees whether an earlier one (force-epochs, non-stop) turned the
// stops off; it then still reports what would have stopped the run.
#include <cstdint>

#include "ftcore/stop_policy.hpp"

namespace ftcore::modes {

struct StopThresholds {
  std::int64_t patience;        ///< evaluations without improvement; 0: rule off
  double overfitting;           ///< (val - train) / train; 0: rule off
  double perfect_loss;          ///< training loss; 0: rule off
  double explosion;             ///< validation perplexity / best perplexity; 0: rule off
};

/// The defaults of a task type: instruction 3 / 10% / 0.01 / off, text-generation 5 / 20% / 0.5 / 2x.
StopThresholds thresholds(TaskType task);

class EarlyStop final : public StopPolicy {
 public:
  std::string name() const override { return "early-stop"; }
  std::string description() const override {
    return "Auto-stop (on by default): patience, overfitting, perfect loss, perplexity explosion; thresholds by task type";
  }
  void adjust_plan(TrainingPlan& plan, const Options& options) override;
  std::string summary() const override;
  StopDecision on_evaluation(const Evaluation& evaluation) override;

  const StopThresholds& active() const { return active_; }

 private:
  TaskType task_ = TaskType::instruction;
  bool applied_ = true;  ///< false after force-epochs or non-stop: the rules are reported, not applied
  StopThresholds active_{};
};

}  // namespace ftcore::modes
