#pragma once
// Turns a conversation Sample into the message list a chat template expects (transformers'
// format), and finds which characters of the rendered text are trained.
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat/chat_template.hpp"
#include "ftcore/sample.hpp"

namespace ftcore::chat {

/// The message field a template reads assistant reasoning from: "reasoning_content" (Qwen3,
/// DeepSeek), "thinking", or "" when it has none (reasoning is then written into the content
/// as a <think> block).
std::string reasoning_field(const std::string& template_source);

/// {role, content, tool_calls[{id, type, function{name, arguments}}], tool_call_id, name, <reasoning field>}
/// per message. Arguments that are a JSON object are passed as an object, as transformers users do.
nlohmann::ordered_json to_template_messages(const std::vector<Message>& messages, const std::string& reasoning_key);

/// Tools offered to the model: null when none, as transformers passes them.
nlohmann::ordered_json to_template_tools(const Sample& sample);

using Span = std::pair<std::size_t, std::size_t>;  ///< [begin, end) byte offsets

struct RenderedConversation {
  std::string text;
  std::vector<Span> trained;  ///< spans of `text` the loss covers, sorted, disjoint
};

/// Renders the whole conversation and derives the trained spans: from the template's
/// {% generation %} blocks when it has them, else by rendering each trained turn's prefix with and
/// without that turn. Throws UsageError when the template is not prefix-stable for a turn.
RenderedConversation render_conversation(const ChatTemplate& chat, const Sample& sample);

}  // namespace ftcore::chat
