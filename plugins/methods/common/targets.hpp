#pragma once
// Which linear layers an adapter method adapts, chosen as PEFT chooses them: a list of names (a
// layer matches when its name is, or ends with ".", one of them), one regular expression matched
// against the whole name, or "all-linear" (every linear layer but the output head). An empty
// choice means the family's default target modules.
#include <string>
#include <vector>

#include "ftcore/model_handler.hpp"
#include "ftcore/nn/modules.hpp"

namespace ftcore::methods {

struct TargetChoice {
  enum class Kind { names, regex, all_linear } kind = Kind::names;
  std::vector<std::string> names;  ///< Kind::names
  std::string regex;               ///< Kind::regex
};

/// From --target-modules: a single entry with regular-expression characters is a regex.
TargetChoice parse_targets(const std::vector<std::string>& values, const FamilyFacts& facts);

/// The sites the choice selects, in module order. Throws std::invalid_argument when it selects
/// none, listing the layer names the model has.
std::vector<nn::LinearSite> select_sites(nn::CausalLM& network, const TargetChoice& choice);

/// What adapter_config.json records as target_modules: the regex, or the sorted distinct last
/// name parts of the selected sites ("q_proj", "v_proj").
nlohmann::json targets_for_config(const TargetChoice& choice, const std::vector<nn::LinearSite>& sites);

/// The last part of a dotted name: "model.layers.0.self_attn.q_proj" -> "q_proj".
std::string leaf_name(const std::string& name);

}  // namespace ftcore::methods
