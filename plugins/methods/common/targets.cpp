#include "common/targets.hpp"

#include <algorithm>
#include <regex>
#include <set>
#include <stdexcept>

namespace ftcore::methods {

namespace {

bool has_regex_characters(const std::string& s) { return s.find_first_of("*+?()[]{}|\\^$") != std::string::npos; }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool matches(const TargetChoice& choice, const std::regex* pattern, const std::string& name) {
  switch (choice.kind) {
    case TargetChoice::Kind::all_linear: return true;
    case TargetChoice::Kind::regex: return std::regex_match(name, *pattern);
    case TargetChoice::Kind::names:
      for (const auto& target : choice.names)
        if (name == target || ends_with(name, "." + target)) return true;
      return false;
  }
  return false;
}

/// PEFT's pattern for the layer index in a module name: re.match of ".*\.[^.]*\.(\d+)\." or, with
/// layers_pattern, ".*\.<pattern>\.(\d+)\.".
std::regex layer_index_pattern(const std::string& layers_pattern) {
  return std::regex(layers_pattern.empty() ? std::string(R"(^.*\.[^.]*\.(\d+)\.)")
                                           : "^.*\\." + layers_pattern + R"(\.(\d+)\.)");
}

/// The layer index in `name`; -1 when there is none.
std::int64_t layer_index(const std::string& name, const std::regex& pattern) {
  std::smatch m;
  return std::regex_search(name, m, pattern) ? std::stoll(m[1].str()) : -1;
}

}  // namespace

std::string leaf_name(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

TargetChoice parse_targets(const std::vector<std::string>& values, const FamilyFacts& facts,
                           const std::vector<std::string>& layers, const std::string& layers_pattern) {
  TargetChoice choice;
  for (const auto& text : layers) {
    std::size_t used = 0;
    long long index = -1;
    try {
      index = std::stoll(text, &used);
    } catch (const std::exception&) {
    }
    if (used != text.size() || index < 0)
      throw std::invalid_argument("--layers-to-transform '" + text + "' is not a layer index (a non-negative integer)");
    choice.layers.push_back(index);
  }
  choice.layers_pattern = layers_pattern;
  if (!layers_pattern.empty() && layers_pattern.find_first_of("*+?()[]{}|\\^$.") != std::string::npos)
    throw std::invalid_argument("--layers-pattern '" + layers_pattern + "' must be a plain module name such as layers or h");
  if (values.empty()) {
    choice.names = facts.default_target_modules;
  } else if (values.size() == 1 && values[0] == "all-linear") {
    choice.kind = TargetChoice::Kind::all_linear;
  } else if (values.size() == 1 && has_regex_characters(values[0])) {
    choice.kind = TargetChoice::Kind::regex;
    choice.regex = values[0];
    if (!choice.layers.empty())
      throw std::invalid_argument("--layers-to-transform does not combine with a regular expression in --target-modules "
                                  "(PEFT refuses it): name the modules, or put the layer numbers in the regex");
    try {
      std::regex check(choice.regex);
    } catch (const std::regex_error& e) {
      throw std::invalid_argument("--target-modules '" + choice.regex + "' is not a valid regular expression: " + e.what());
    }
  } else {
    choice.names = values;
  }
  return choice;
}

std::vector<nn::LinearSite> select_sites(nn::CausalLM& network, const TargetChoice& choice) {
  std::regex pattern;
  if (choice.kind == TargetChoice::Kind::regex) pattern = std::regex(choice.regex);
  const std::regex layer_pattern = layer_index_pattern(choice.layers_pattern);
  std::vector<nn::LinearSite> selected;
  std::set<std::string> available;
  std::set<std::int64_t> present;  // layer indices of the model, with --layers-to-transform
  for (auto& site : network.linear_sites()) {
    available.insert(leaf_name(site.name));
    bool wanted = matches(choice, &pattern, site.name);
    if (!choice.layers.empty()) {
      const auto index = layer_index(site.name, layer_pattern);
      present.insert(index);
      wanted = wanted && std::find(choice.layers.begin(), choice.layers.end(), index) != choice.layers.end();
    }
    if (wanted) selected.push_back(site);
  }
  for (auto index : choice.layers)
    if (!present.count(index))
      throw std::invalid_argument("--layers-to-transform " + std::to_string(index) + ": this model has no layer " +
                                  std::to_string(index) + (choice.layers_pattern.empty() ? "" : " under '" + choice.layers_pattern + "'") +
                                  " (its decoder layers are 0-" + std::to_string(network.spec().num_layers - 1) + ")");
  if (!selected.empty()) return selected;
  std::string wanted = choice.kind == TargetChoice::Kind::regex ? "'" + choice.regex + "'" : "";
  for (const auto& name : choice.names) wanted += (wanted.empty() ? "" : ", ") + name;
  std::string names;
  for (const auto& name : available) names += (names.empty() ? "" : ", ") + name;
  throw std::invalid_argument("--target-modules " + wanted + " matched no linear layer of this model; its linear layers "
                              "are named " + names + " (or use all-linear, or a regex such as '.*\\.layers\\.0\\..*')");
}

nlohmann::json targets_for_config(const TargetChoice& choice, const std::vector<nn::LinearSite>& sites) {
  if (choice.kind == TargetChoice::Kind::regex) return choice.regex;
  std::set<std::string> names;
  for (const auto& site : sites) names.insert(leaf_name(site.name));
  return std::vector<std::string>(names.begin(), names.end());
}

nlohmann::json layers_for_config(const TargetChoice& choice) {
  return choice.layers.empty() ? nlohmann::json(nullptr) : nlohmann::json(choice.layers);
}

nlohmann::json layers_pattern_for_config(const TargetChoice& choice) {
  return choice.layers_pattern.empty() ? nlohmann::json(nullptr) : nlohmann::json(choice.layers_pattern);
}

}  // namespace ftcore::methods
