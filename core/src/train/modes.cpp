#include "train/modes.hpp"

#include <algorithm>
#include <stdexcept>

#include "errors.hpp"
#include "util/text.hpp"

namespace ftcore::train {

namespace {

constexpr const char* kAutoStopMode = "early-stop";

void add_name(std::vector<std::string>& names, const std::string& name, const std::string& where) {
  if (std::find(names.begin(), names.end(), name) != names.end())
    throw UsageError(where + ": mode '" + name + "' is given twice");
  names.push_back(name);
}

}  // namespace

std::vector<StopPolicy*> Modes::pointers() const {
  std::vector<StopPolicy*> out;
  for (const auto& policy : policies) out.push_back(policy.get());
  return out;
}

Modes choose_modes(const Registry& registry, config::Config& config) {
  Modes modes;
  const std::string origin = config.find("mode") ? config.find("mode")->origin : "--mode";
  for (const auto& name : config.list("mode")) add_name(modes.names, text::trim(name), origin);
  for (const char* flag : {"circular", "force-epochs"})
    if (config.flag(flag) && std::find(modes.names.begin(), modes.names.end(), flag) == modes.names.end())
      modes.names.push_back(flag);
  if (config.flag("auto-stop") && std::find(modes.names.begin(), modes.names.end(), kAutoStopMode) == modes.names.end())
    modes.names.push_back(kAutoStopMode);

  const auto installed = registry.names(ComponentKind::stop_policy);
  for (const auto& name : modes.names) {
    auto policy = registry.make_stop_policy(name);
    if (!policy)
      throw UsageError((name == kAutoStopMode ? std::string("--auto-stop") : origin) + ": no training mode '" + name + "'" +
                       text::did_you_mean(name, installed) +
                       "; installed: " + (installed.empty() ? std::string("none") : text::join(installed, ", ")));
    modes.policies.push_back(std::move(policy));
  }
  for (std::size_t i = 0; i < modes.policies.size(); ++i)
    for (const auto& [other, why] : modes.policies[i]->conflicts())
      if (std::find(modes.names.begin(), modes.names.end(), other) != modes.names.end())
        throw UsageError("modes '" + modes.names[i] + "' and '" + other + "' cannot run together: " + why);
  for (std::size_t i = 0; i < modes.policies.size(); ++i)
    for (const auto& [key, value] : modes.policies[i]->defaults())
      config.set_text(key, value, config::Layer::mode, "mode " + modes.names[i]);
  return modes;
}

TaskType detect_task(const std::vector<Sample>& samples, const std::string& option) {
  if (option == "instruction") return TaskType::instruction;
  if (option == "text-generation") return TaskType::text_generation;
  const auto text = std::count_if(samples.begin(), samples.end(), [](const Sample& s) { return s.kind == Sample::Kind::text; });
  return 2 * static_cast<std::size_t>(text) > samples.size() ? TaskType::text_generation : TaskType::instruction;
}

TrainingPlan make_plan(Modes& modes, const config::Config& config, TaskType task) {
  TrainingPlan plan;
  plan.epochs = config.number("epochs").value_or(plan.epochs);
  plan.task = task;
  const config::Setting* epochs = config.find("epochs");
  const bool user_epochs = epochs && epochs->layer >= config::Layer::yaml;
  for (std::size_t i = 0; i < modes.policies.size(); ++i) {
    const double before = plan.epochs;
    try {
      modes.policies[i]->adjust_plan(plan, config);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string(e.what()) + " (mode '" + modes.names[i] + "')");
    }
    if (user_epochs && plan.epochs != before)
      throw UsageError(epochs->origin + " " + config::value_text(epochs->value) + ": mode '" + modes.names[i] +
                       "' sets the number of epochs itself (" +
                       (plan.epochs > 0 ? config::value_text(plan.epochs) : std::string("no limit")) +
                       "); leave out --epochs (docs/modes.md says which option the mode takes instead)");
  }
  if (!(plan.evaluations_per_epoch >= 1)) plan.evaluations_per_epoch = 1;
  if (!(plan.batch_growth >= 1)) throw UsageError("a mode asked for a batch growth below 1");
  return plan;
}

}  // namespace ftcore::train
