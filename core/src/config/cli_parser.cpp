#include "config/cli_parser.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include <boost/program_options.hpp>

#include "errors.hpp"
#include "util/text.hpp"

namespace ftcore::config {

namespace po = boost::program_options;

namespace {

bool is_bool_word(const std::string& word) {
  static const std::vector<std::string> words{"true", "false", "yes", "no", "on", "off", "1", "0"};
  return std::find(words.begin(), words.end(), text::lower(word)) != words.end();
}

std::vector<std::string> mapping_spellings(const FlagMapping& mapping) {
  std::vector<std::string> out;
  for (const auto& s : mapping.spellings) {
    out.push_back(normalise_spelling(s));
    std::string underscore = normalise_spelling(s);
    std::replace(underscore.begin(), underscore.end(), '-', '_');
    if (underscore != out.back()) out.push_back(underscore);
  }
  return out;
}

/// Spellings that take true/false, so "--gradient_checkpointing true" can be joined into
/// "--gradient_checkpointing=true" (Boost would take any word after an implicit value as its value).
std::vector<std::string> boolean_spellings(unsigned command) {
  std::vector<std::string> out;
  for (const auto& spec : option_table())
    if ((spec.commands & command) && spec.type == OptionType::flag)
      for (const auto& s : cli_spellings(spec)) out.push_back(s);
  if (command & kRun)
    for (const auto& mapping : flag_mappings())
      for (const auto& s : mapping_spellings(mapping)) out.push_back(s);
  return out;
}

std::vector<std::string> join_boolean_values(const std::vector<std::string>& args, unsigned command) {
  std::vector<std::string> flags = boolean_spellings(command);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    bool is_flag = text::starts_with(arg, "--") && arg.find('=') == std::string::npos &&
                   std::find(flags.begin(), flags.end(), arg.substr(2)) != flags.end();
    if (is_flag && i + 1 < args.size() && is_bool_word(args[i + 1])) {
      out.push_back(arg + "=" + args[i + 1]);
      ++i;
    } else if (is_flag && i + 1 < args.size() && !args[i + 1].empty() &&
               args[i + 1].find_first_not_of("0123456789") == std::string::npos) {
      out.push_back(arg + "=true");  // a number after a flag is a positional argument ("--tensorboard-only 6007")
    } else {
      out.push_back(arg);
    }
  }
  return out;
}

/// Every spelling known for any command, mapped to the commands that accept it.
std::map<std::string, unsigned> all_spellings() {
  std::map<std::string, unsigned> out;
  for (const auto& spec : option_table())
    for (const auto& s : cli_spellings(spec)) out[s] |= spec.commands;
  for (const auto& mapping : flag_mappings())
    for (const auto& s : mapping_spellings(mapping)) out[s] |= kRun;
  return out;
}

UsageError unknown_option(const std::string& option, unsigned command, const std::string& command_name) {
  std::string name = option;
  while (!name.empty() && name.front() == '-') name.erase(name.begin());
  name = name.substr(0, name.find('='));
  std::vector<std::string> candidates;
  auto known = all_spellings();
  if (auto it = known.find(name); it != known.end() && !(it->second & command))
    return UsageError("--" + name + " is not an option of `ftcore " + command_name +
                      "`; see `ftcore " + command_name + " --help`");
  for (const auto& [spelling, commands] : known)
    if (commands & command) candidates.push_back(spelling);
  std::string hint = text::closest(name, candidates);
  return UsageError("unknown option '" + option + "' for `ftcore " + command_name + "`" +
                    (hint.empty() ? "" : " (did you mean '--" + hint + "'?)") + "; see `ftcore " +
                    command_name + " --help`");
}

}  // namespace

std::vector<std::string> remove_options(const std::vector<std::string>& args, const std::vector<std::string>& keys) {
  std::vector<std::string> spellings;
  for (const auto& key : keys)
    if (const OptionSpec* spec = find_option(key))
      for (const auto& spelling : cli_spellings(*spec)) spellings.push_back(spelling);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const std::string name = text::starts_with(arg, "--") ? arg.substr(2, arg.find('=') - 2) : "";
    if (name.empty() || std::find(spellings.begin(), spellings.end(), name) == spellings.end()) {
      out.push_back(arg);
      continue;
    }
    if (arg.find('=') == std::string::npos) ++i;  // its value is the next word
  }
  return out;
}

CommandLine parse_command_line(Config& config, unsigned command, const std::string& command_name,
                               const std::vector<std::string>& raw_args) {
  po::options_description described;
  described.add_options()("help,h", "");
  for (const auto& spec : option_table()) {
    if (!(spec.commands & command)) continue;
    for (const auto& spelling : cli_spellings(spec)) {
      if (spec.type == OptionType::list)
        described.add_options()(spelling.c_str(), po::value<std::vector<std::string>>()->multitoken()->composing());
      else if (spec.type == OptionType::flag)
        described.add_options()(spelling.c_str(), po::value<std::string>()->implicit_value("true"));
      else
        described.add_options()(spelling.c_str(), po::value<std::string>());
    }
  }
  if (command & kRun)
    for (const auto& mapping : flag_mappings())
      for (const auto& spelling : mapping_spellings(mapping))
        described.add_options()(spelling.c_str(), po::value<std::string>()->implicit_value("true"));
  described.add_options()("ftcore-positional", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("ftcore-positional", -1);

  std::vector<std::string> args = join_boolean_values(raw_args, command);
  po::variables_map vm;
  try {
    auto style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(args).options(described).positional(positional).style(style).run(), vm);
  } catch (const po::unknown_option& e) {
    throw unknown_option(e.get_option_name(), command, command_name);
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + "; see `ftcore " + command_name + " --help`");
  }

  CommandLine result;
  result.help = vm.count("help") > 0;
  if (vm.count("ftcore-positional")) result.positional = vm["ftcore-positional"].as<std::vector<std::string>>();

  for (const auto& spec : option_table()) {
    if (!(spec.commands & command)) continue;
    std::vector<std::string> given;
    for (const auto& spelling : cli_spellings(spec))
      if (vm.count(spelling)) given.push_back(spelling);
    if (given.empty()) continue;
    if (given.size() > 1)
      throw UsageError("--" + given[0] + " and --" + given[1] + " are the same option (" + spec.key +
                       "); give it once");
    const std::string& spelling = given[0];
    std::string text = spec.type == OptionType::list
                           ? text::join(vm[spelling].as<std::vector<std::string>>(), ",")
                           : vm[spelling].as<std::string>();
    config.set_text(spec.key, text, Layer::cli, "--" + spelling);
  }
  if (command & kRun) {
    for (const auto& mapping : flag_mappings()) {
      for (const auto& spelling : mapping_spellings(mapping)) {
        if (!vm.count(spelling)) continue;
        Value on = parse_value(OptionSpec{"--" + spelling, OptionType::flag}, vm[spelling].as<std::string>(),
                               "--" + spelling);
        const auto& target = std::get<bool>(on) ? mapping.when_true : mapping.when_false;
        if (!target) continue;
        const Setting* existing = config.find(mapping.key);
        if (existing && existing->layer == Layer::cli && value_text(existing->value) != *target)
          throw UsageError("--" + spelling + " means --" + mapping.key + " " + *target + ", but " +
                           existing->origin + " " + value_text(existing->value) + " was also given; keep one");
        config.set_text(mapping.key, *target, Layer::cli, "--" + spelling);
      }
    }
  }
  return result;
}

std::string help_text(unsigned command, const std::string& usage) {
  std::ostringstream out;
  out << "Usage: " << usage << "\n";
  std::vector<std::string> groups;
  for (const auto& spec : option_table())
    if ((spec.commands & command) && std::find(groups.begin(), groups.end(), spec.group) == groups.end())
      groups.push_back(spec.group);
  for (const auto& group : groups) {
    out << "\n" << group << ":\n";
    for (const auto& spec : option_table()) {
      if (!(spec.commands & command) || spec.group != group) continue;
      std::string head = "  --" + spec.key + (spec.value_name.empty() ? "" : " " + spec.value_name);
      out << head << std::string(head.size() < 32 ? 32 - head.size() : 1, ' ') << spec.help;
      if (spec.default_value) out << " [default: " << *spec.default_value << "]";
      out << "\n";
      std::vector<std::string> also;
      for (const auto& alias : spec.aliases) also.push_back("--" + alias);
      if (!also.empty()) out << std::string(32, ' ') << "aliases: " << text::join(also, ", ") << "\n";
    }
  }
  if (command & kRun) {
    out << "\nShorthands:\n";
    for (const auto& mapping : flag_mappings()) {
      std::string head = "  --" + mapping.spellings[0];
      out << head << std::string(32 - head.size(), ' ') << mapping.help << "\n";
    }
  }
  out << "\nEvery option is also accepted with '_' for '-' (--max_length), and in YAML under its\n"
         "underscore name (max_length: 512); see docs/cli-reference.md.\n";
  return out.str();
}

namespace {

std::string command_names(unsigned commands) {
  std::vector<std::string> names;
  if (commands & kRun) names.push_back("run");
  if (commands & kValidate) names.push_back("validate");
  if (commands & kPlugins) names.push_back("plugins");
  if (commands & kTokenize) names.push_back("tokenize");
  if (commands & kTemplate) names.push_back("template");
  if (commands & kGenerate) names.push_back("generate");
  if (commands & kChat) names.push_back("chat");
  if (commands & kInitModel) names.push_back("init-model");
  if (commands & kMerge) names.push_back("merge");
  if (commands & kBench) names.push_back("bench");
  return text::join(names, ", ");
}

std::string code_list(const std::vector<std::string>& items, const std::string& prefix) {
  std::vector<std::string> quoted;
  for (const auto& item : items) quoted.push_back("`" + prefix + item + "`");
  return text::join(quoted, ", ");
}

}  // namespace

std::string reference_markdown() {
  std::ostringstream out;
  out << "# CLI and configuration reference\n\n"
         "<!-- Generated from core/src/config/option_table.cpp; test_options checks this file.\n"
         "     Regenerate: FTCORE_UPDATE_DOCS=1 build/bin/test_core --gtest_filter='*Reference*' -->\n\n"
         "Every option can be given on the command line (`--key value`, `--key=value`; `_` and `-` are\n"
         "interchangeable) or in a YAML file passed with `--config FILE`, under its underscore name\n"
         "(`learning_rate: 2e-4`) or, for the sectioned form, under the YAML path listed. Precedence, lowest\n"
         "first: built-in default < model handler < method default < mode preset < YAML file < command line.\n"
         "Unknown keys in YAML are errors. Booleans accept true/false, yes/no, on/off, 1/0; a boolean flag\n"
         "given alone means true (`--packing`), or takes a value (`--packing false`).\n";
  std::vector<std::string> groups;
  for (const auto& spec : option_table())
    if (std::find(groups.begin(), groups.end(), spec.group) == groups.end()) groups.push_back(spec.group);
  for (const auto& group : groups) {
    out << "\n## " << group << "\n\n| option | type | default | commands | also accepted | YAML | description |\n"
        << "|---|---|---|---|---|---|---|\n";
    for (const auto& spec : option_table()) {
      if (spec.group != group) continue;
      std::string type = option_type_name(spec.type);
      if (!spec.choices.empty()) type += " (" + text::join(spec.choices, ", ") + ")";
      if (spec.at_least && spec.at_most)
        type += ", " + text::format_number("%g", *spec.at_least) + "-" + text::format_number("%g", *spec.at_most);
      else if (spec.at_least) type += ", at least " + text::format_number("%g", *spec.at_least);
      std::vector<std::string> yaml{std::string(spec.key)};
      std::replace(yaml[0].begin(), yaml[0].end(), '-', '_');
      yaml.insert(yaml.end(), spec.yaml_paths.begin(), spec.yaml_paths.end());
      out << "| `--" << spec.key << "` | " << type << " | " << (spec.default_value ? "`" + *spec.default_value + "`" : "")
          << " | " << command_names(spec.commands) << " | " << code_list(spec.aliases, "--") << " | "
          << code_list(yaml, "") << " | " << spec.help << " |\n";
    }
  }
  out << "\n## Shorthands\n\n| flag | YAML | meaning |\n|---|---|---|\n";
  for (const auto& mapping : flag_mappings())
    out << "| " << code_list(mapping.spellings, "--") << " | " << code_list(mapping.yaml_paths, "") << " | "
        << mapping.help << " |\n";
  out << "\n## Sectioned YAML\n\n"
         "Besides flat `key: value` files, the `model:` / `dataset:` / `training:` form is read: the YAML paths\n"
         "above (such as `model.lora_config.r`) first, then any option name inside a section\n"
         "(`training: {learning_rate: 2e-4}`). Example:\n\n```yaml\nmodel:\n  path: ./my-model\n"
         "  max_seq_length: 1024\n  use_lora: true\n  lora_config: {r: 16, lora_alpha: 32, target_modules: [q_proj, v_proj]}\n"
         "dataset:\n  name: ./data\n  split: train\ntraining:\n  num_train_epochs: 2\n  learning_rate: 2e-4\n```\n";
  return out.str();
}

}  // namespace ftcore::config
