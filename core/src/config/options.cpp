#include "config/options.hpp"
#include "ftcore/files.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "errors.hpp"
#include "util/text.hpp"

namespace ftcore::config {

const char* option_type_name(OptionType type) {
  switch (type) {
    case OptionType::flag: return "true/false";
    case OptionType::integer: return "an integer";
    case OptionType::number: return "a number";
    case OptionType::text: return "a string";
    case OptionType::list: return "a list";
  }
  return "?";
}

const char* layer_name(Layer layer) {
  switch (layer) {
    case Layer::builtin: return "built-in default";
    case Layer::handler: return "model handler";
    case Layer::method: return "method default";
    case Layer::mode: return "mode preset";
    case Layer::yaml: return "config file";
    case Layer::cli: return "command line";
  }
  return "?";
}

const OptionSpec* find_option(const std::string& key) {
  for (const auto& spec : option_table())
    if (spec.key == key) return &spec;
  return nullptr;
}

std::string normalise_spelling(const std::string& spelling) {
  std::string out = text::lower(spelling);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

namespace {

std::string underscored(std::string s) {
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

void add_both_forms(std::vector<std::string>& out, const std::string& name) {
  for (const auto& form : {normalise_spelling(name), underscored(normalise_spelling(name))})
    if (std::find(out.begin(), out.end(), form) == out.end()) out.push_back(form);
}

std::optional<bool> parse_bool(const std::string& text) {
  static const std::set<std::string> truthy{"true", "yes", "on", "1"};
  static const std::set<std::string> falsy{"false", "no", "off", "0"};
  std::string word = text::lower(text::trim(text));
  if (truthy.count(word)) return true;
  if (falsy.count(word)) return false;
  return std::nullopt;
}

std::string choices_text(const OptionSpec& spec) {
  return text::join(spec.choices, ", ");
}

/// The row's bounds; a number outside them is a UsageError "WHERE VALUE: must be ...; HINT".
template <typename Number>
Number within_bounds(const OptionSpec& spec, Number number, const std::string& raw, const std::string& where) {
  const double value = static_cast<double>(number);
  const bool low = spec.at_least && value < *spec.at_least, high = spec.at_most && value > *spec.at_most;
  if (!low && !high) return number;
  std::string rule = spec.at_least && spec.at_most ? "must be " + text::format_number("%g", *spec.at_least) + "-" +
                                                         text::format_number("%g", *spec.at_most)
                     : low ? "must be at least " + text::format_number("%g", *spec.at_least)
                           : "must be at most " + text::format_number("%g", *spec.at_most);
  throw UsageError(where + " " + text::trim(raw) + ": " + rule + (spec.bound_hint.empty() ? "" : "; " + spec.bound_hint));
}

/// Row owning a flat spelling (canonical key or alias, either form), or nullptr.
const OptionSpec* find_by_spelling(const std::string& spelling) {
  std::string wanted = normalise_spelling(spelling);
  for (const auto& spec : option_table()) {
    if (normalise_spelling(spec.key) == wanted) return &spec;
    for (const auto& alias : spec.aliases)
      if (normalise_spelling(alias) == wanted) return &spec;
  }
  return nullptr;
}

const FlagMapping* find_mapping_by_spelling(const std::string& spelling) {
  std::string wanted = normalise_spelling(spelling);
  for (const auto& mapping : flag_mappings())
    for (const auto& s : mapping.spellings)
      if (normalise_spelling(s) == wanted) return &mapping;
  return nullptr;
}

}  // namespace

std::vector<std::string> cli_spellings(const OptionSpec& spec) {
  std::vector<std::string> out;
  add_both_forms(out, spec.key);
  for (const auto& alias : spec.aliases) add_both_forms(out, alias);
  return out;
}

Value parse_value(const OptionSpec& spec, const std::string& raw, const std::string& where) {
  std::string value = text::trim(raw);
  for (const auto& [alias, canonical] : spec.value_aliases)
    if (text::lower(value) == alias) value = canonical;
  bool is_choice = std::find(spec.choices.begin(), spec.choices.end(), value) != spec.choices.end();
  auto bad = [&](const std::string& expected) {
    return UsageError(where + ": expected " + expected + ", got '" + raw + "'");
  };

  switch (spec.type) {
    case OptionType::flag:
      if (auto b = parse_bool(value)) return *b;
      throw bad("true or false");
    case OptionType::integer: {
      if (is_choice) return value;
      std::size_t used = 0;
      std::optional<long long> number;
      try {
        number = std::stoll(value, &used);
      } catch (const std::exception&) {
      }
      if (!number || used != value.size())
        throw bad(spec.choices.empty() ? "an integer" : "an integer or " + choices_text(spec));
      return within_bounds(spec, static_cast<std::int64_t>(*number), raw, where);
    }
    case OptionType::number: {
      if (is_choice) return value;
      std::size_t used = 0;
      std::optional<double> number;
      try {
        number = std::stod(value, &used);
      } catch (const std::exception&) {
      }
      if (!number || used != value.size() || !std::isfinite(*number)) throw bad("a number");
      return within_bounds(spec, *number, raw, where);
    }
    case OptionType::text:
      if (!spec.choices.empty() && !is_choice)
        throw bad("one of " + choices_text(spec) + text::did_you_mean(value, spec.choices));
      return value;
    case OptionType::list: {
      std::vector<std::string> items;
      for (const auto& item : text::split(value, ',')) items.push_back(text::trim(item));
      items.erase(std::remove(items.begin(), items.end(), std::string()), items.end());
      return items;
    }
  }
  throw bad("a value");
}

std::string value_text(const Value& value) {
  struct Printer {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
      std::ostringstream out;
      out.precision(10);
      out << d;
      return out.str();
    }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const std::vector<std::string>& v) const { return text::join(v, ","); }
  };
  return std::visit(Printer{}, value);
}

// ---- Config --------------------------------------------------------------------------------

void Config::set(const std::string& key, Value value, Layer layer, std::string origin) {
  if (!find_option(key)) throw UsageError("internal: no option named '" + key + "'");
  auto it = settings_.find(key);
  if (it != settings_.end() && it->second.layer > layer) return;
  settings_[key] = Setting{std::move(value), layer, std::move(origin)};
}

void Config::set_text(const std::string& key, const std::string& text, Layer layer,
                      std::string origin) {
  const OptionSpec* spec = find_option(key);
  if (!spec) throw UsageError("internal: no option named '" + key + "'");
  set(key, parse_value(*spec, text, origin), layer, origin);
}

const Setting* Config::find(const std::string& key) const {
  auto it = settings_.find(key);
  return it == settings_.end() ? nullptr : &it->second;
}

bool Config::flag(const std::string& key, bool fallback) const {
  const Setting* s = find(key);
  return s ? std::get<bool>(s->value) : fallback;
}

std::optional<std::int64_t> Config::integer(const std::string& key) const {
  const Setting* s = find(key);
  if (!s || !std::holds_alternative<std::int64_t>(s->value)) return std::nullopt;
  return std::get<std::int64_t>(s->value);
}

std::optional<double> Config::number(const std::string& key) const {
  const Setting* s = find(key);
  if (!s) return std::nullopt;
  if (auto* d = std::get_if<double>(&s->value)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&s->value)) return static_cast<double>(*i);
  return std::nullopt;
}

std::optional<std::string> Config::text(const std::string& key) const {
  const Setting* s = find(key);
  if (!s) return std::nullopt;
  return value_text(s->value);
}

std::vector<std::string> Config::list(const std::string& key) const {
  const Setting* s = find(key);
  if (!s) return {};
  if (auto* v = std::get_if<std::vector<std::string>>(&s->value)) return *v;
  return {value_text(s->value)};
}

std::string Config::to_yaml(unsigned command) const {
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const auto& spec : option_table()) {
    if (!(spec.commands & command) || spec.key == "config" || spec.key == "print-config") continue;
    const Setting* s = find(spec.key);
    if (!s) continue;
    out << YAML::Key << underscored(spec.key) << YAML::Value;
    if (auto* items = std::get_if<std::vector<std::string>>(&s->value)) {
      out << YAML::Flow << YAML::BeginSeq;
      for (const auto& item : *items) out << item;
      out << YAML::EndSeq;
    } else if (auto* str = std::get_if<std::string>(&s->value)) {
      out << YAML::DoubleQuoted << *str;
    } else {
      out << value_text(s->value);
    }
    // Where it came from: the layer, and for all but the built-in defaults what in it set the value.
    out << YAML::Comment(std::string(layer_name(s->layer)) + (s->layer != Layer::builtin ? ": " + s->origin : ""));
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

void apply_defaults(Config& config, unsigned command) {
  for (const auto& spec : option_table())
    if ((spec.commands & command) && spec.default_value)
      config.set_text(spec.key, *spec.default_value, Layer::builtin, "default");
}

// ---- YAML ----------------------------------------------------------------------------------

namespace {

const char* const kSections[] = {"model", "dataset", "training"};

class YamlReader {
 public:
  YamlReader(Config& config, std::string source, unsigned command)
      : config_(config), source_(std::move(source)), command_(command) {}

  void read_document(const YAML::Node& root) {
    if (!root || root.IsNull()) return;
    if (!root.IsMap()) throw error(root, "", "the file must be a mapping of option: value");
    for (const auto& item : root) {
      std::string key = item.first.as<std::string>();
      bool section = std::find(std::begin(kSections), std::end(kSections), key) != std::end(kSections);
      if (section && item.second.IsMap())
        read_map(item.second, key);
      else
        read_entry(key, item.first, item.second);
    }
  }

 private:
  void read_map(const YAML::Node& map, const std::string& prefix) {
    for (const auto& item : map) {
      std::string path = prefix + "." + item.first.as<std::string>();
      if (item.second.IsMap() && path == "model.lora_config")
        read_map(item.second, path);
      else
        read_entry(path, item.first, item.second);
    }
  }

  /// Resolves a key path: an exact sectioned path first, then the last component as a flat name.
  void read_entry(const std::string& path, const YAML::Node& key_node, const YAML::Node& value) {
    std::string where = location(key_node) + " (" + path + ")";
    for (const auto& spec : option_table())
      for (const auto& yaml_path : spec.yaml_paths)
        if (yaml_path == path) return set(spec, value, where);
    for (const auto& mapping : flag_mappings())
      for (const auto& yaml_path : mapping.yaml_paths)
        if (yaml_path == path) return set_mapping(mapping, value, where);

    std::string flat = path.substr(path.find_last_of('.') + 1);
    bool in_lora_config = text::starts_with(path, "model.lora_config.");
    if (!in_lora_config) {
      if (const OptionSpec* spec = find_by_spelling(flat)) return set(*spec, value, where);
      if (const FlagMapping* mapping = find_mapping_by_spelling(flat))
        return set_mapping(*mapping, value, where);
    }
    throw error(key_node, path, "unknown key '" + path + "'" + text::did_you_mean(path, known_keys()) +
                                    "; see docs/cli-reference.md for every option");
  }

  void set(const OptionSpec& spec, const YAML::Node& value, const std::string& where) {
    if (spec.key == "config") throw UsageError(where + ": a config file cannot include another");
    if (!(spec.commands & command_))
      return;  // an option of another command: harmless in a shared file
    if (value.IsMap()) throw UsageError(where + ": expected " + option_type_name(spec.type) + ", got a mapping");
    if (value.IsSequence()) {
      if (spec.type != OptionType::list)
        throw UsageError(where + ": expected " + option_type_name(spec.type) + ", got a list");
      std::vector<std::string> items;
      for (const auto& item : value) {
        if (!item.IsScalar()) throw UsageError(where + ": list items must be plain values");
        items.push_back(item.as<std::string>());
      }
      return config_.set(spec.key, items, Layer::yaml, where);
    }
    if (value.IsNull()) return;  // "key:" with nothing after it leaves the default
    config_.set_text(spec.key, value.as<std::string>(), Layer::yaml, where);
  }

  void set_mapping(const FlagMapping& mapping, const YAML::Node& value, const std::string& where) {
    if (!value.IsScalar()) throw UsageError(where + ": expected true or false");
    std::optional<bool> on = parse_bool(value.as<std::string>());
    if (!on) throw UsageError(where + ": expected true or false, got '" + value.as<std::string>() + "'");
    const auto& target = *on ? mapping.when_true : mapping.when_false;
    if (target) config_.set_text(mapping.key, *target, Layer::yaml, where);
  }

  std::vector<std::string> known_keys() const {
    std::vector<std::string> keys;
    for (const auto& spec : option_table()) {
      keys.push_back(underscored(spec.key));
      for (const auto& alias : spec.aliases) keys.push_back(underscored(alias));
      for (const auto& path : spec.yaml_paths) keys.push_back(path);
    }
    for (const auto& mapping : flag_mappings()) {
      for (const auto& s : mapping.spellings) keys.push_back(underscored(s));
      for (const auto& path : mapping.yaml_paths) keys.push_back(path);
    }
    for (const auto& section : kSections)
      for (const auto& spec : option_table()) keys.push_back(std::string(section) + "." + underscored(spec.key));
    return keys;
  }

  std::string location(const YAML::Node& node) const {
    return source_ + ":" + std::to_string(node.Mark().line + 1);
  }

  UsageError error(const YAML::Node& node, const std::string&, const std::string& message) const {
    return UsageError(location(node) + ": " + message);
  }

  Config& config_;
  std::string source_;
  unsigned command_;
};

}  // namespace

void load_yaml_text(Config& config, const std::string& yaml, const std::string& source,
                    unsigned command) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw UsageError(source + ":" + std::to_string(e.mark.line + 1) + ":" +
                     std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  }
  YamlReader(config, source, command).read_document(root);
}

void load_yaml_file(Config& config, const std::filesystem::path& file, unsigned command) {
  load_yaml_text(config, files::read_regular(file, "config file"), file.string(), command);
}

}  // namespace ftcore::config
