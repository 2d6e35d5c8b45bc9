#include "presets/presets.hpp"

#include <cstdio>

#include "common/mode_options.hpp"

namespace ftcore::modes {

const std::vector<Preset>& presets() {
  static const std::vector<Preset> table{
      //  name        description                                                      epochs  lr x  evals/epoch
      {"slow", "Careful: 5 epochs at half the learning rate, evaluated once per epoch", 5, 0.5, 1},
      {"medium", "The default: 3 epochs at the method's learning rate, evaluated twice per epoch", 3, 1.0, 2},
      {"fast", "A quick pass: 1 epoch at twice the learning rate, evaluated four times", 1, 2.0, 4},
      {"non-stop", "No epoch limit at 0.3x the learning rate until interrupted (Ctrl-C saves and writes the "
                   "outputs); no auto-stop", 0, 0.3, 1},
  };
  return table;
}

std::vector<std::pair<std::string, std::string>> PresetPolicy::defaults() const {
  if (preset_.epochs <= 0) return {};
  char epochs[32];
  std::snprintf(epochs, sizeof epochs, "%g", preset_.epochs);
  return {{"epochs", epochs}};
}

std::vector<std::pair<std::string, std::string>> PresetPolicy::conflicts() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& other : presets())
    if (std::string(other.name) != preset_.name)
      out.emplace_back(other.name, "both set the epochs and the learning rate; pick one of slow, medium, fast, non-stop");
  if (preset_.epochs <= 0) {
    out.emplace_back("force-epochs", "non-stop has no epoch count to force; give --epochs with force-epochs instead");
    out.emplace_back("circular", "circular stops after --max-circular-epochs cycles and non-stop never stops; pick one");
  }
  return out;
}

void PresetPolicy::adjust_plan(TrainingPlan& plan, const Options& options) {
  if (preset_.epochs <= 0) {
    plan.epochs = 0;
    plan.auto_stop = false;
    plan.finish_on_interrupt = true;
  } else {
    plan.epochs = options.number("epochs").value_or(preset_.epochs);
  }
  epochs_ = plan.epochs;
  plan.learning_rate_scale *= preset_.learning_rate_scale;
  plan.evaluations_per_epoch = preset_.evaluations_per_epoch;
}

std::string PresetPolicy::summary() const {
  char epochs[48], text[160];
  if (epochs_ > 0) std::snprintf(epochs, sizeof epochs, "%g epoch(s)", epochs_);
  else std::snprintf(epochs, sizeof epochs, "no epoch limit (until interrupted)");
  std::snprintf(text, sizeof text, "%s: %s, learning rate x%g, %g evaluation(s) per epoch", preset_.name, epochs,
                preset_.learning_rate_scale, preset_.evaluations_per_epoch);
  return text;
}

std::unique_ptr<StopPolicy> make_preset(const std::string& name) {
  for (const auto& preset : presets())
    if (name == preset.name) return std::make_unique<PresetPolicy>(preset);
  return nullptr;
}

namespace {

// The registry takes plain function pointers: one instantiation per row.
template <std::size_t Row>
std::unique_ptr<StopPolicy> make_row() {
  return std::make_unique<PresetPolicy>(presets().at(Row));
}

}  // namespace

void register_presets(Registrar& registrar) {
  std::unique_ptr<StopPolicy> (*const factories[])() = {&make_row<0>, &make_row<1>, &make_row<2>, &make_row<3>};
  static_assert(sizeof factories / sizeof factories[0] == 4, "one factory per row of presets()");
  for (std::size_t i = 0; i < presets().size(); ++i)
    registrar.add_stop_policy(presets()[i].name, presets()[i].description, factories[i]);
}

}  // namespace ftcore::modes
