#pragma once
// adaptive: watches the trend of the validation loss (the training loss without validation data).
// When it has improved by less than 1% over the last two evaluations, it halves the learning rate
// if the training loss still falls (smaller steps for a model that stopped generalising better),
// else doubles the effective batch (less gradient noise for a loss that is flat everywhere); when
// one of them is at its limit (learning rate x1/16, batch x8) it takes the other. Each change is
// explained in the log, and the next is judged on the evaluations after it.
#include <vector>

#include "ftcore/stop_policy.hpp"

namespace ftcore::modes {

class Adaptive final : public StopPolicy {
 public:
  static constexpr std::size_t kWindow = 2;           ///< evaluations a trend is judged over
  static constexpr double kMinImprovement = 0.01;     ///< relative improvement that is not a plateau
  static constexpr double kMinLearningRateScale = 1.0 / 16;
  static constexpr double kMaxBatchScale = 8;

  std::string name() const override { return "adaptive"; }
  std::string description() const override {
    return "Watches the loss trend; on a plateau halves the learning rate or doubles the effective batch, "
           "explaining each change";
  }
  void adjust_plan(TrainingPlan&, const Options&) override {}
  std::string summary() const override;
  StopDecision on_evaluation(const Evaluation& evaluation) override;

 private:
  std::vector<double> monitored_, train_;
  std::size_t since_ = 0;  ///< first evaluation of the current trend (after the last change)
  double lr_scale_ = 1, batch_scale_ = 1;
  bool exhausted_ = false;
};

}  // namespace ftcore::modes
