#pragma once
// One declarative option table feeds the command line, YAML files, help text and the
// resolved configuration. Each row: canonical key, type, default, help, other spellings,
// YAML paths, which commands take it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ftcore/options.hpp"

namespace YAML {
class Node;
}

namespace ftcore::config {

enum class OptionType { flag, integer, number, text, list };
const char* option_type_name(OptionType type);

/// Commands, as bits, so a row can belong to several.
enum Command : unsigned {
  kRun = 1u << 0,
  kValidate = 1u << 1,
  kPlugins = 1u << 2,
  kTokenize = 1u << 3,
  kTemplate = 1u << 4,
  kGenerate = 1u << 5,
  kChat = 1u << 6,
  kInitModel = 1u << 7,
  kMerge = 1u << 8,
  kBench = 1u << 9,
  kAllCommands = ~0u,
};

struct OptionSpec {
  std::string key;                              ///< canonical, e.g. "lora-r" (CLI --lora-r, YAML lora_r)
  OptionType type = OptionType::text;
  std::optional<std::string> default_value;     ///< textual; nullopt = unset unless something sets it
  std::string value_name;                       ///< "N", "DIR", ... for help
  std::string help;
  std::vector<std::string> aliases;             ///< other spellings from other tools
  std::vector<std::string> yaml_paths;          ///< sectioned YAML, e.g. "model.lora_config.r"
  std::vector<std::string> choices;             ///< allowed words (for integer/number: words allowed besides numbers)
  std::vector<std::pair<std::string, std::string>> value_aliases;  ///< e.g. {"bfloat16", "bf16"}
  unsigned commands = kRun;
  std::string group;                            ///< heading in --help
  std::optional<double> at_least, at_most;      ///< bounds of an integer/number value (words in `choices` aside)
  std::string bound_hint;                       ///< what to do instead of an out-of-range value
};

/// A boolean spelling that sets another option to a value: "--bf16" -> precision: bf16,
/// "load_in_4bit: true" -> method: qlora, "use_lora: false" -> method: full.
struct FlagMapping {
  std::vector<std::string> spellings;
  std::vector<std::string> yaml_paths;
  std::string key;
  std::optional<std::string> when_true, when_false;
  std::string help;
};

const std::vector<OptionSpec>& option_table();
const std::vector<FlagMapping>& flag_mappings();
const OptionSpec* find_option(const std::string& key);

/// "lora_rank" and "lora-rank" are the same spelling.
std::string normalise_spelling(const std::string& spelling);
/// Every CLI spelling of a row, canonical first, each in its hyphen and underscore forms.
std::vector<std::string> cli_spellings(const OptionSpec& spec);

using Value = std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>>;

/// Where a value came from, lowest precedence first.
enum class Layer { builtin, handler, method, mode, yaml, cli };
const char* layer_name(Layer layer);

struct Setting {
  Value value;
  Layer layer = Layer::builtin;
  std::string origin;  ///< "--learning_rate", "cfg.yaml:7 (training.learning_rate)", ...
};

/// Turns text into a typed value for a row; throws UsageError naming `where`.
Value parse_value(const OptionSpec& spec, const std::string& text, const std::string& where);
std::string value_text(const Value& value);

/// The resolved configuration: one value per key, the highest layer wins.
class Config final : public Options {
 public:
  /// Sets a value unless a higher layer already set it. Throws UsageError if `key` is unknown.
  void set(const std::string& key, Value value, Layer layer, std::string origin);
  /// Parses `text` for the row, then sets it.
  void set_text(const std::string& key, const std::string& text, Layer layer, std::string origin);

  const Setting* find(const std::string& key) const;
  bool has(const std::string& key) const { return find(key) != nullptr; }

  bool flag(const std::string& key, bool fallback = false) const override;
  std::optional<std::int64_t> integer(const std::string& key) const override;
  std::optional<double> number(const std::string& key) const override;
  std::optional<std::string> text(const std::string& key) const override;
  std::vector<std::string> list(const std::string& key) const override;

  const std::map<std::string, Setting>& settings() const { return settings_; }

  /// YAML that load_yaml() reads back to the same values, each line commented with its origin.
  std::string to_yaml(unsigned command) const;

 private:
  std::map<std::string, Setting> settings_;
};

/// Built-in defaults of every row the command takes.
void apply_defaults(Config& config, unsigned command);

/// Reads a YAML file: flat run options, or the model:/dataset:/training: sectioned form.
/// Unknown keys are UsageErrors with file:line, key path and a did-you-mean.
void load_yaml_file(Config& config, const std::filesystem::path& file, unsigned command);
/// Same, from text (`source` names it in messages).
void load_yaml_text(Config& config, const std::string& yaml, const std::string& source,
                    unsigned command);

}  // namespace ftcore::config
