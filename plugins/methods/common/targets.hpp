#pragma once
// Which linear layers an adapter method adapts, chosen as PEFT chooses them: a list of names (a
// layer matches when its name is, or ends with ".", one of them), one regular expression matched
// against the whole name, or "all-linear" (every linear layer but the output head). An empty
// choice means the family's default target modules.
#include <cstdint>
#include <string>
#include <vector>

#include "ftcore/model_handler.hpp"
#include "ftcore/nn/modules.hpp"

namespace ftcore::methods {

struct TargetChoice {
  enum class Kind { names, regex, all_linear } kind = Kind::names;
  std::vector<std::string> names;  ///< Kind::names
  std::string regex;               ///< Kind::regex
  /// PEFT's layers_to_transform: only layers with these indices (none: all), the index being the
  /// number after `layers_pattern` ("layers", "h") or, without one, after any name part.
  std::vector<std::int64_t> layers;
  std::string layers_pattern;
};

/// From --target-modules: a single entry with regular-expression characters is a regex. With
/// --layers-to-transform (and --layers-pattern): std::invalid_argument for an entry that is not a
/// non-negative integer, and with a regex (PEFT refuses the combination).
TargetChoice parse_targets(const std::vector<std::string>& values, const FamilyFacts& facts,
                           const std::vector<std::string>& layers = {}, const std::string& layers_pattern = {});

/// The sites the choice selects, in module order. Throws std::invalid_argument when it selects
/// none, listing the layer names the model has, and for a layer index the model does not have.
std::vector<nn::LinearSite> select_sites(nn::CausalLM& network, const TargetChoice& choice);

/// What adapter_config.json records as target_modules: the regex, or the sorted distinct last
/// name parts of the selected sites ("q_proj", "v_proj").
nlohmann::json targets_for_config(const TargetChoice& choice, const std::vector<nn::LinearSite>& sites);

/// What adapter_config.json records of the layer choice.
struct Selection {
  nlohmann::json targets;                  ///< target_modules
  nlohmann::json layers = nullptr;         ///< layers_to_transform
  nlohmann::json layers_pattern = nullptr;
};

/// adapter_config.json's layers_to_transform and layers_pattern (null when not used).
nlohmann::json layers_for_config(const TargetChoice& choice);
nlohmann::json layers_pattern_for_config(const TargetChoice& choice);

/// The last part of a dotted name: "model.layers.0.self_attn.q_proj" -> "q_proj".
std::string leaf_name(const std::string& name);

}  // namespace ftcore::methods
