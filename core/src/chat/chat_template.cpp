#include "chat/chat_template.hpp"
#include "ftcore/files.hpp"

#include <fstream>
#include <sstream>

#include "errors.hpp"
#include "util/text.hpp"

namespace ftcore::chat {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

/// The special tokens transformers hands to every template (its special_tokens_map).
const char* const kSpecialTokenKeys[] = {"bos_token", "eos_token", "unk_token", "pad_token", "sep_token",
                                         "cls_token", "mask_token"};

std::optional<std::string> read_file(const fs::path& file) {
  if (!fs::exists(file)) return std::nullopt;
  return files::read_regular(file, "chat template file");
}

std::string pick_named(const json& list, const std::string& name, const std::string& where) {
  std::vector<std::string> names;
  for (const auto& entry : list) {
    if (!entry.is_object() || !entry.contains("name") || !entry.contains("template"))
      throw UsageError(where + ": chat_template list entries must be {\"name\": ..., \"template\": ...}");
    names.push_back(entry["name"].get<std::string>());
    if (names.back() == (name.empty() ? "default" : name)) return entry["template"].get<std::string>();
  }
  throw UsageError(where + ": no chat template named '" + (name.empty() ? "default" : name) + "'" +
                   text::did_you_mean(name, names) + "; available: " + text::join(names, ", "));
}

}  // namespace

std::string special_token_text(const json& entry) {
  if (entry.is_string()) return entry.get<std::string>();
  if (entry.is_object() && entry.contains("content") && entry["content"].is_string())
    return entry["content"].get<std::string>();
  return "";
}

ChatTemplate ChatTemplate::from_model_dir(const fs::path& dir, const std::string& name,
                                          const std::optional<std::string>& fallback) {
  fs::path config_file = dir / "tokenizer_config.json";
  json config = json::object();
  if (auto text = read_file(config_file)) {
    try {
      config = json::parse(*text);
    } catch (const json::parse_error& e) {
      throw UsageError(config_file.string() + ": invalid JSON: " + e.what());
    }
  }
  ordered_json special = ordered_json::object();
  for (const char* key : kSpecialTokenKeys)
    if (config.contains(key) && !config[key].is_null()) special[key] = special_token_text(config[key]);
  if (config.contains("additional_special_tokens") && config["additional_special_tokens"].is_array()) {
    ordered_json extra = ordered_json::array();
    for (const auto& token : config["additional_special_tokens"]) extra.push_back(special_token_text(token));
    special["additional_special_tokens"] = extra;
  }

  fs::path jinja_file = dir / "chat_template.jinja";
  if (auto source = read_file(jinja_file)) return ChatTemplate(*source, special, jinja_file.string());
  if (config.contains("chat_template")) {
    const json& entry = config["chat_template"];
    if (entry.is_string()) return ChatTemplate(entry.get<std::string>(), special, config_file.string());
    if (entry.is_array()) return ChatTemplate(pick_named(entry, name, config_file.string()), special,
                                              config_file.string() + " (" + (name.empty() ? "default" : name) + ")");
    throw UsageError(config_file.string() + ": chat_template must be a string or a list of {name, template}");
  }
  if (fallback) return ChatTemplate(*fallback, special, "the model handler's fallback template");
  throw UsageError(dir.string() + ": the checkpoint has no chat template (no chat_template in "
                   "tokenizer_config.json, no chat_template.jinja) and no fallback was given");
}

ChatTemplate::ChatTemplate(const std::string& source, ordered_json special_tokens, std::string origin)
    : source_(source), origin_(std::move(origin)), special_tokens_(std::move(special_tokens)),
      template_(source, origin_) {}

tmpl::Rendered ChatTemplate::render(const ordered_json& messages, const ordered_json& tools,
                                    bool add_generation_prompt, const ordered_json& extra) const {
  // transformers' apply_chat_template fails on an empty conversation (it inspects messages[0]
  // before rendering), whatever the template; so does ftcore, with a message that says so.
  if (!messages.is_array() || messages.empty())
    throw UsageError(origin_ + ": a conversation needs at least one message (got " +
                     (messages.is_array() ? std::string("an empty list") : std::string(messages.type_name())) + ")");
  ordered_json variables = ordered_json::object();
  variables["messages"] = messages;
  variables["tools"] = tools;
  variables["documents"] = nullptr;
  variables["add_generation_prompt"] = add_generation_prompt;
  for (const auto& [key, value] : special_tokens_.items()) variables[key] = value;
  for (const auto& [key, value] : extra.items()) variables[key] = value;
  return template_.render(variables);
}

}  // namespace ftcore::chat
