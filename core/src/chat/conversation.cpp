#include "chat/conversation.hpp"

#include "errors.hpp"

namespace ftcore::chat {

using nlohmann::json;
using nlohmann::ordered_json;

std::string reasoning_field(const std::string& source) {
  if (source.find("reasoning_content") != std::string::npos) return "reasoning_content";
  if (source.find("thinking") != std::string::npos) return "thinking";
  return "";
}

namespace {

ordered_json arguments_value(const std::string& arguments) {
  ordered_json parsed = ordered_json::parse(arguments, nullptr, false);
  return parsed.is_object() ? parsed : ordered_json(arguments);
}

ordered_json to_template_message(const Message& m, const std::string& reasoning_key) {
  ordered_json out = ordered_json::object();
  out["role"] = role_name(m.role);
  std::string content = m.content.value_or("");
  if (!m.reasoning.empty() && reasoning_key.empty())
    content = "<think>\n" + m.reasoning + "\n</think>\n\n" + content;
  if (m.content || !content.empty()) out["content"] = content;
  if (!m.reasoning.empty() && !reasoning_key.empty()) out[reasoning_key] = m.reasoning;
  if (!m.tool_calls.empty()) {
    ordered_json calls = ordered_json::array();
    for (const auto& call : m.tool_calls)
      calls.push_back({{"id", call.id},
                       {"type", call.type},
                       {"function", {{"name", call.name}, {"arguments", arguments_value(call.arguments)}}}});
    out["tool_calls"] = calls;
  }
  if (!m.tool_call_id.empty()) out["tool_call_id"] = m.tool_call_id;
  if (!m.name.empty()) out["name"] = m.name;
  return out;
}

}  // namespace

ordered_json to_template_messages(const std::vector<Message>& messages, const std::string& reasoning_key) {
  ordered_json out = ordered_json::array();
  for (const auto& m : messages) out.push_back(to_template_message(m, reasoning_key));
  return out;
}

ordered_json to_template_tools(const Sample& sample) {
  if (!sample.tools.is_array() || sample.tools.empty()) return nullptr;
  return ordered_json::parse(sample.tools.dump());
}

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

/// The span a trained turn adds: render the turns before it with the generation prompt, then with
/// the turn itself; the difference is what the model must produce.
Span prefix_span(const ChatTemplate& chat, const ordered_json& messages, const ordered_json& tools,
                 std::size_t turn, const std::string& full) {
  ordered_json before(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(turn));
  ordered_json through(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(turn) + 1);
  std::string prompt = chat.render(before, tools, true).text;
  std::string answered = chat.render(through, tools, false).text;
  if (!starts_with(answered, prompt) || !starts_with(full, answered))
    throw UsageError("the chat template (" + chat.origin() + ") is not prefix-stable at message " +
                     std::to_string(turn) + ": rendering the conversation up to that turn is not a prefix of "
                     "rendering all of it, so the trained span cannot be derived; add {% generation %} blocks "
                     "to the template");
  return {prompt.size(), answered.size()};
}

/// {% generation %} marks every assistant turn; keep the spans of the turns that train (when the
/// template marked one span per assistant turn, as they do).
std::vector<Span> generation_spans_of_trained_turns(const Sample& sample, const std::vector<Span>& spans) {
  std::vector<const Message*> assistants;
  for (const auto& m : sample.messages)
    if (m.role == Role::assistant) assistants.push_back(&m);
  if (assistants.size() != spans.size()) return spans;
  std::vector<Span> kept;
  for (std::size_t i = 0; i < spans.size(); ++i)
    if (assistants[i]->train) kept.push_back(spans[i]);
  return kept;
}

}  // namespace

RenderedConversation render_conversation(const ChatTemplate& chat, const Sample& sample) {
  std::string reasoning_key = reasoning_field(chat.source());
  ordered_json messages = to_template_messages(sample.messages, reasoning_key);
  ordered_json tools = to_template_tools(sample);
  tmpl::Rendered full = chat.render(messages, tools, false);
  RenderedConversation out{full.text, {}};
  if (!full.generation_spans.empty()) {
    out.trained = generation_spans_of_trained_turns(sample, full.generation_spans);
    return out;
  }
  for (std::size_t i = 0; i < sample.messages.size(); ++i)
    if (sample.messages[i].train) out.trained.push_back(prefix_span(chat, messages, tools, i, full.text));
  return out;
}

}  // namespace ftcore::chat
