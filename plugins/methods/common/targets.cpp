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

}  // namespace

std::string leaf_name(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

TargetChoice parse_targets(const std::vector<std::string>& values, const FamilyFacts& facts) {
  TargetChoice choice;
  if (values.empty()) {
    choice.names = facts.default_target_modules;
  } else if (values.size() == 1 && values[0] == "all-linear") {
    choice.kind = TargetChoice::Kind::all_linear;
  } else if (values.size() == 1 && has_regex_characters(values[0])) {
    choice.kind = TargetChoice::Kind::regex;
    choice.regex = values[0];
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
  std::vector<nn::LinearSite> selected;
  std::set<std::string> available;
  for (auto& site : network.linear_sites()) {
    available.insert(leaf_name(site.name));
    if (matches(choice, &pattern, site.name)) selected.push_back(site);
  }
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

}  // namespace ftcore::methods
