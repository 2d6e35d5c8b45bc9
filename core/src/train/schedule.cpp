#include "train/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ftcore::train {
namespace {

constexpr double kPi = 3.141592653589793;      // math.pi
constexpr double kCosineCycles = 0.5;          // get_cosine_schedule_with_warmup's num_cycles
constexpr double kPolynomialLrEnd = 1e-7;      // get_polynomial_decay_schedule_with_warmup's lr_end
constexpr double kPolynomialPower = 1.0;

/// transformers' lr lambdas (optimization.py), with Python's float arithmetic in the same order.
double multiplier(const Schedule& s, std::int64_t step) {
  const auto current = static_cast<double>(step);
  const std::int64_t warmup = s.warmup_steps, total = s.total_steps;
  if (s.kind == ScheduleKind::polynomial && !(s.base_lr > kPolynomialLrEnd))
    throw std::invalid_argument("polynomial schedule: lr_end (1e-07) must be smaller than the initial lr (" +
                                std::to_string(s.base_lr) + ")");
  if (step < warmup) return current / static_cast<double>(std::max<std::int64_t>(1, warmup));
  switch (s.kind) {
    case ScheduleKind::constant:
      return 1.0;
    case ScheduleKind::linear:
      return std::max(0.0, static_cast<double>(total - step) /
                               static_cast<double>(std::max<std::int64_t>(1, total - warmup)));
    case ScheduleKind::cosine: {
      const double progress =
          static_cast<double>(step - warmup) / static_cast<double>(std::max<std::int64_t>(1, total - warmup));
      return std::max(0.0, 0.5 * (1.0 + std::cos(kPi * kCosineCycles * 2.0 * progress)));
    }
    case ScheduleKind::polynomial: {
      const double lr_init = s.base_lr, lr_end = kPolynomialLrEnd;
      const std::int64_t decay_steps = total - warmup;
      // transformers divides by zero here (warmup == total, step == total); the decay is over.
      if (step > total || decay_steps <= 0) return lr_end / lr_init;
      const double lr_range = lr_init - lr_end;
      const double pct_remaining = 1 - static_cast<double>(step - warmup) / static_cast<double>(decay_steps);
      const double decay = lr_range * std::pow(pct_remaining, kPolynomialPower) + lr_end;
      return decay / lr_init;
    }
  }
  return 1.0;
}

}  // namespace

ScheduleKind parse_schedule(const std::string& name) {
  for (auto kind : {ScheduleKind::constant, ScheduleKind::linear, ScheduleKind::cosine, ScheduleKind::polynomial})
    if (name == schedule_name(kind)) return kind;
  throw std::invalid_argument("unknown learning-rate schedule '" + name +
                              "' (expected one of: constant, linear, cosine, polynomial)");
}

const char* schedule_name(ScheduleKind kind) {
  switch (kind) {
    case ScheduleKind::constant: return "constant";
    case ScheduleKind::linear: return "linear";
    case ScheduleKind::cosine: return "cosine";
    case ScheduleKind::polynomial: return "polynomial";
  }
  return "?";
}

double learning_rate(const Schedule& s, std::int64_t step) { return s.base_lr * multiplier(s, step); }

std::int64_t warmup_steps(std::optional<std::int64_t> steps, std::optional<double> ratio, std::int64_t total_steps) {
  if (steps && *steps < 0) throw std::invalid_argument("warmup steps must be >= 0, got " + std::to_string(*steps));
  if (ratio && !(*ratio >= 0 && *ratio <= 1))
    throw std::invalid_argument("warmup ratio must lie in [0, 1], got " + std::to_string(*ratio));
  if (steps && *steps > 0) return *steps;
  if (!ratio) return 0;
  return static_cast<std::int64_t>(std::ceil(static_cast<double>(total_steps) * *ratio));
}

}  // namespace ftcore::train
