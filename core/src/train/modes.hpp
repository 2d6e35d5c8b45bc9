#pragma once
// Training modes: which StopPolicy plugins a run uses (--mode, --circular, --force-epochs, and
// early-stop while --auto-stop holds), their conflicts, their option defaults (the mode layer of
// the configuration), the task type the stop thresholds follow, and the plan they agree on.
#include <memory>
#include <string>
#include <vector>

#include "config/options.hpp"
#include "ftcore/registry.hpp"
#include "ftcore/sample.hpp"
#include "ftcore/stop_policy.hpp"

namespace ftcore::train {

struct Modes {
  std::vector<std::string> names;                     ///< in the order they adjust the plan
  std::vector<std::unique_ptr<StopPolicy>> policies;  ///< one per name
  std::vector<StopPolicy*> pointers() const;
};

/// The modes the configuration asks for, in order (--mode, then --circular, --force-epochs, then
/// early-stop when --auto-stop), each made fresh from the registry; their defaults join `config`
/// at the mode layer. UsageError for an unknown or repeated name and for two modes that conflict.
Modes choose_modes(const Registry& registry, config::Config& config);

/// --task-type, or (auto) text-generation when most samples are plain text, else instruction.
TaskType detect_task(const std::vector<Sample>& samples, const std::string& option);

/// Each mode adjusts the plan in turn. UsageError when a mode rejects an option or overrides
/// epochs the user gave.
TrainingPlan make_plan(Modes& modes, const config::Config& config, TaskType task);

}  // namespace ftcore::train
