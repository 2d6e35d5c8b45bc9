#pragma once
// TrainingMethod: one way of choosing what trains (lora, qlora, dora, adalora, full, freeze).

#include <string>
#include <utility>
#include <vector>

namespace ftcore {

class TrainingMethod {
 public:
  virtual ~TrainingMethod() = default;

  /// Name used with --method, e.g. "lora".
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;

  /// The method's defaults for run options, as (option key, value) pairs in the option table's
  /// spelling, e.g. {"learning-rate", "2e-4"}. They sit above built-in defaults and below the
  /// mode preset, the YAML file and the command line.
  virtual std::vector<std::pair<std::string, std::string>> defaults() const = 0;
};

}  // namespace ftcore
