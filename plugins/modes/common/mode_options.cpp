#include "common/mode_options.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace ftcore::modes {

std::optional<std::int64_t> integer_at_least(const Options& options, const std::string& key, std::int64_t minimum) {
  auto value = options.integer(key);
  if (value && *value < minimum)
    throw std::invalid_argument("--" + key + " " + std::to_string(*value) + ": must be at least " + std::to_string(minimum));
  return value;
}

std::optional<double> number_at_least(const Options& options, const std::string& key, double minimum) {
  auto value = options.number(key);
  if (value && !(std::isfinite(*value) && *value >= minimum))
    throw std::invalid_argument("--" + key + " " + number_text(*value) + ": must be a number of at least " +
                                number_text(minimum));
  return value;
}

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f%%", fraction * 100.0);
  return text;
}

std::string loss_text(double loss) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4f", loss);
  return text;
}

std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

}  // namespace ftcore::modes
