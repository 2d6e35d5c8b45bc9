#pragma once
// A checkpoint's chat template, rendered the way transformers' apply_chat_template renders it:
// the Jinja source from tokenizer_config.json (a string, or a list of {name, template}) or
// chat_template.jinja, with messages, tools, add_generation_prompt and the special tokens.
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "template/jinja.hpp"

namespace ftcore::chat {

class ChatTemplate {
 public:
  /// Reads <dir>/tokenizer_config.json and, when present, <dir>/chat_template.jinja (which wins,
  /// as in transformers). `name` picks one of a named list ("default" when empty). When the
  /// checkpoint has no template, `fallback` is used; with neither, throws UsageError.
  static ChatTemplate from_model_dir(const std::filesystem::path& dir, const std::string& name = "",
                                     const std::optional<std::string>& fallback = std::nullopt);

  /// A template from source, with the special tokens given (strings, "" when absent).
  ChatTemplate(const std::string& source, nlohmann::ordered_json special_tokens, std::string origin);

  /// messages: list of {role, content, ...} as transformers takes them; tools: null or a list.
  tmpl::Rendered render(const nlohmann::ordered_json& messages, const nlohmann::ordered_json& tools,
                        bool add_generation_prompt,
                        const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) const;

  const std::string& source() const { return source_; }
  const std::string& origin() const { return origin_; }  ///< where the template came from
  const nlohmann::ordered_json& special_tokens() const { return special_tokens_; }

 private:
  std::string source_;
  std::string origin_;
  nlohmann::ordered_json special_tokens_;
  tmpl::Template template_;
};

/// The content of a special token entry in tokenizer_config.json: a string, or {"content": ...}.
std::string special_token_text(const nlohmann::json& entry);

}  // namespace ftcore::chat
