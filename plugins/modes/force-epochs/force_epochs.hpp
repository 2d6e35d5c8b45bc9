#pragma once
// force-epochs: exactly the requested epochs (or circular's cycles); no stop rule may end the run.
#include "ftcore/stop_policy.hpp"

namespace ftcore::modes {

class ForceEpochs final : public StopPolicy {
 public:
  std::string name() const override { return "force-epochs"; }
  std::string description() const override {
    return "Exactly the requested epochs (or cycles): every auto-stop is off, validation is still reported";
  }
  void adjust_plan(TrainingPlan& plan, const Options&) override {
    plan.auto_stop = false;
    epochs_ = plan.epochs;
  }
  std::string summary() const override;
  StopDecision on_evaluation(const Evaluation&) override { return {}; }

 private:
  double epochs_ = 0;
};

}  // namespace ftcore::modes
