#pragma once
// Read access to the resolved run configuration (defaults < handler < method < mode < YAML <
// command line), by the option table's key ("lora-r", "target-modules", ...).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ftcore {

class Options {
 public:
  virtual ~Options() = default;
  virtual std::optional<std::string> text(const std::string& key) const = 0;
  virtual std::optional<std::int64_t> integer(const std::string& key) const = 0;
  virtual std::optional<double> number(const std::string& key) const = 0;
  virtual bool flag(const std::string& key, bool fallback = false) const = 0;
  virtual std::vector<std::string> list(const std::string& key) const = 0;
};

}  // namespace ftcore
