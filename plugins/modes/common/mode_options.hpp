#pragma once
// Reading the modes' options: a value that cannot work is a std::invalid_argument naming the option.
#include <cstdint>
#include <optional>
#include <string>

#include "ftcore/options.hpp"

namespace ftcore::modes {

/// options.integer(key), required to be at least `minimum`.
std::optional<std::int64_t> integer_at_least(const Options& options, const std::string& key, std::int64_t minimum);
/// options.number(key), required to be finite and at least `minimum`.
std::optional<double> number_at_least(const Options& options, const std::string& key, double minimum);

/// "12%" for 0.12.
std::string percent(double fraction);
/// "0.0123" (four decimals), or "nan"/"inf".
std::string loss_text(double loss);

/// The shortest text of a number ("%g"): "2", "0.3".
std::string number_text(double value);

}  // namespace ftcore::modes
