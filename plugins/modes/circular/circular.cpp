#include "circular/circular.hpp"

#include <cstdio>

#include "common/mode_options.hpp"

namespace ftcore::modes {

void Circular::adjust_plan(TrainingPlan& plan, const Options& options) {
  cycles_ = static_cast<double>(integer_at_least(options, "max-circular-epochs", 1).value_or(100));
  growth_ = number_at_least(options, "circular-batch-growth", 1.0).value_or(1.2);
  plan.epochs = cycles_;
  plan.batch_growth = growth_;
  plan.max_batch_scale = kMaxBatchScale;
}

std::string Circular::summary() const {
  char text[200];
  std::snprintf(text, sizeof text,
                "circular: up to %g cycles over the data, effective batch x%g per cycle (at most x%g), until perfect loss",
                cycles_, growth_, kMaxBatchScale);
  return text;
}

}  // namespace ftcore::modes
