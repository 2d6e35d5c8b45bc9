#pragma once
// The pace presets: slow, medium, fast and non-stop, one row each of one table. A run takes at most
// one of them (each sets the epochs and the learning rate its own way).
#include <memory>
#include <string>
#include <vector>

#include "ftcore/registry.hpp"
#include "ftcore/stop_policy.hpp"

namespace ftcore::modes {

struct Preset {
  const char* name;
  const char* description;
  double epochs;                 ///< <= 0: no limit
  double learning_rate_scale;
  double evaluations_per_epoch;
};

/// slow, medium, fast, non-stop.
const std::vector<Preset>& presets();

class PresetPolicy final : public StopPolicy {
 public:
  explicit PresetPolicy(const Preset& preset) : preset_(preset) {}
  std::string name() const override { return preset_.name; }
  std::string description() const override { return preset_.description; }
  std::vector<std::pair<std::string, std::string>> defaults() const override;
  std::vector<std::pair<std::string, std::string>> conflicts() const override;
  void adjust_plan(TrainingPlan& plan, const Options& options) override;
  std::string summary() const override;
  StopDecision on_evaluation(const Evaluation&) override { return {}; }

 private:
  const Preset& preset_;
  double epochs_ = 0;
};

/// A fresh policy for a preset's name; nullptr for another name.
std::unique_ptr<StopPolicy> make_preset(const std::string& name);

/// Adds a factory for each row of presets() (the plugin's register function, and tests).
void register_presets(Registrar& registrar);

}  // namespace ftcore::modes
