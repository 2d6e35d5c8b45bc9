#pragma once
// circular: for small data. Cycles the dataset up to --max-circular-epochs times, growing the
// effective batch by --circular-batch-growth per cycle (up to 8x), and leaves the stopping to the
// perfect-loss rule: the validation rules (patience, overfitting) are off unless given.
#include "ftcore/stop_policy.hpp"

namespace ftcore::modes {

class Circular final : public StopPolicy {
 public:
  static constexpr double kMaxBatchScale = 8.0;

  std::string name() const override { return "circular"; }
  std::string description() const override {
    return "Small data: cycles the dataset up to --max-circular-epochs times (default 100), growing the effective "
           "batch each cycle; stops at perfect loss";
  }
  std::vector<std::pair<std::string, std::string>> defaults() const override {
    return {{"patience", "0"}, {"overfitting-threshold", "0"}};
  }
  void adjust_plan(TrainingPlan& plan, const Options& options) override;
  std::string summary() const override;
  StopDecision on_evaluation(const Evaluation&) override { return {}; }

 private:
  double cycles_ = 0, growth_ = 1;
};

}  // namespace ftcore::modes
