#pragma once
// The training example every DatasetFormat produces, whatever its input shape.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ftcore/export.hpp"

namespace ftcore {

enum class Role { system, developer, user, assistant, tool };

/// "system", "developer", "user", "assistant", "tool".
FTCORE_API const char* role_name(Role role);
/// Parses a role name as written above; std::nullopt for anything else.
FTCORE_API std::optional<Role> parse_role(const std::string& name);

/// One function call requested by an assistant turn (OpenAI shape).
struct ToolCall {
  std::string id;                 ///< links the call to the tool message answering it
  std::string type = "function";  ///< only "function" exists today
  std::string name;               ///< function name
  std::string arguments;          ///< JSON text, exactly as given; must parse as JSON
};

/// One turn of a conversation.
struct Message {
  Role role = Role::user;
  std::optional<std::string> content;  ///< may be absent for an assistant turn that only calls tools
  std::string reasoning;               ///< assistant's thinking, "" when none
  std::vector<ToolCall> tool_calls;    ///< assistant only
  std::string tool_call_id;            ///< tool only: which call this answers
  std::string name;                    ///< optional speaker / tool name
  bool train = false;                  ///< whether the loss covers this turn (assistant turns by default)
};

/// Where a record came from, for error messages: file:line:column (1-based; 0 = unknown).
struct SourceLocation {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
  /// "file:line:column", leaving out the parts that are unknown.
  FTCORE_API std::string str() const;
};

/// A training example. Exactly one of the three shapes is filled, named by `kind`.
struct Sample {
  enum class Kind { conversation, prompt_completion, text };
  Kind kind = Kind::conversation;

  // conversation
  std::vector<Message> messages;
  nlohmann::json tools = nlohmann::json::array();  ///< tool (function) definitions offered to the model

  // prompt_completion: the completion trains, the prompt does not (unless train_prompt)
  std::string prompt;
  std::string completion;
  bool train_prompt = false;

  // text: the whole text trains
  std::string text;

  SourceLocation source;  ///< filled by the reader, not by formats
  std::string format;     ///< name of the format that produced it, filled by the loader
};

FTCORE_API const char* sample_kind_name(Sample::Kind kind);

}  // namespace ftcore
