#pragma once
// Learning-rate schedules, computed as transformers 4.46's get_scheduler does (a LambdaLR whose
// multiplier is applied to the initial lr): constant (transformers' constant_with_warmup), linear,
// cosine (half a cycle) and polynomial (lr_end 1e-7, power 1).
#include <cstdint>
#include <optional>
#include <string>

namespace ftcore::train {

enum class ScheduleKind { constant, linear, cosine, polynomial };

/// "constant", "linear", "cosine" or "polynomial"; std::invalid_argument listing them otherwise.
ScheduleKind parse_schedule(const std::string& name);
const char* schedule_name(ScheduleKind kind);

struct Schedule {
  ScheduleKind kind = ScheduleKind::linear;
  std::int64_t warmup_steps = 0, total_steps = 0;
  double base_lr = 0;
};

/// The lr of optimizer step number `step` (0-based: LambdaLR's last_epoch when that step runs):
/// base_lr times transformers' multiplier. Polynomial: std::invalid_argument unless base_lr > 1e-7
/// (transformers' check), and where transformers would divide by zero (warmup == total, at the last
/// step) the lr is lr_end.
double learning_rate(const Schedule& s, std::int64_t step);

/// TrainingArguments.get_warmup_steps: `steps` when given and > 0, else ceil(ratio * total_steps)
/// (0 without a ratio). std::invalid_argument for negative steps or a ratio outside [0, 1].
std::int64_t warmup_steps(std::optional<std::int64_t> steps, std::optional<double> ratio, std::int64_t total_steps);

}  // namespace ftcore::train
