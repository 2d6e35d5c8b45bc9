#include "openai_format.hpp"

#include "ftcore/format_util.hpp"

namespace ftcore::formats {

using nlohmann::json;
using namespace format_util;

namespace {

const char* const kReasoningKeys[] = {"reasoning", "reasoning_content", "thinking"};

Role parse_message_role(const json& message, const std::string& path) {
  const std::string name = require_string(message, "role", path);
  if (std::optional<Role> role = parse_role(name)) return *role;
  const std::string role_path = field_path(path, "role");
  throw FormatError(role_path, "unknown role '" + name + "' in '" + role_path +
                                   "'; accepted: system, developer, user, assistant, tool");
}

/// The text of an array of content parts [{"type": "text", "text": ...}], joined by newlines.
std::string join_text_parts(const json& parts, const std::string& path) {
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string part_path = index_path(path, i);
    require_object_value(parts[i], part_path);
    const std::string type = require_string(parts[i], "type", part_path);
    if (type != "text") {
      throw FormatError(field_path(part_path, "type"),
                        "unsupported content part type '" + type + "'; only \"text\" parts are supported");
    }
    if (i > 0) text += "\n";
    text += require_string(parts[i], "text", part_path);
  }
  return text;
}

std::optional<std::string> parse_content(const json& message, const std::string& path) {
  const json* content = find_member(message, "content");
  if (!content) return std::nullopt;
  const std::string content_path = field_path(path, "content");
  if (content->is_string()) return content->get<std::string>();
  if (content->is_array()) return join_text_parts(*content, content_path);
  throw_wrong_type(content_path, "a string, an array of text parts, or null", *content);
}

std::string parse_reasoning(const json& message, const std::string& path) {
  for (const char* key : kReasoningKeys) {
    if (std::optional<std::string> reasoning = optional_string(message, key, path)) return *reasoning;
  }
  return "";
}

ToolCall parse_tool_call(const json& call, const std::string& path) {
  require_object_value(call, path);
  if (std::optional<std::string> type = optional_string(call, "type", path); type && *type != "function") {
    throw FormatError(field_path(path, "type"),
                      "unsupported tool call type '" + *type + "'; only \"function\" is supported");
  }
  std::string id = require_string(call, "id", path);
  return parse_function(require_member(call, "function", path), field_path(path, "function"),
                        std::move(id));
}

std::vector<ToolCall> parse_tool_calls(const json& message, const std::string& path) {
  const json* calls = find_member(message, "tool_calls");
  if (!calls) return {};
  const std::string calls_path = field_path(path, "tool_calls");
  if (!calls->is_array()) throw_wrong_type(calls_path, "an array", *calls);
  std::vector<ToolCall> tool_calls;
  for (std::size_t i = 0; i < calls->size(); ++i) {
    tool_calls.push_back(parse_tool_call((*calls)[i], index_path(calls_path, i)));
  }
  return tool_calls;
}

/// OpenAI's `weight` (0 or 1) on an assistant turn; absent means the turn trains.
bool parse_weight(const json& message, const std::string& path) {
  const json* weight = find_member(message, "weight");
  if (!weight) return true;
  const std::string weight_path = field_path(path, "weight");
  if (!weight->is_number()) throw_wrong_type(weight_path, "a number (0 or 1)", *weight);
  const double value = weight->get<double>();
  if (value != 0.0 && value != 1.0) {
    throw FormatError(weight_path, "'" + weight_path + "' must be 0 or 1, got " + weight->dump());
  }
  return value == 1.0;
}

Message parse_message(const json& message, const std::string& path) {
  require_object_value(message, path);
  Message parsed;
  parsed.role = parse_message_role(message, path);
  parsed.content = parse_content(message, path);
  parsed.reasoning = parse_reasoning(message, path);
  parsed.tool_calls = parse_tool_calls(message, path);
  parsed.name = optional_string(message, "name", path).value_or("");
  if (parsed.role == Role::tool) {
    parsed.tool_call_id = require_string(message, "tool_call_id", path,
                                         "a tool message names the call it answers");
  }
  parsed.train = parsed.role == Role::assistant && parse_weight(message, path);
  return parsed;
}

}  // namespace

std::string OpenAiFormat::name() const { return "openai"; }

std::string OpenAiFormat::description() const {
  return "OpenAI chat messages: {messages: [{role, content, reasoning?, tool_calls?, weight?}], tools?}";
}

double OpenAiFormat::score(const json& record) const {
  return score_keys(record, {{"messages", json::value_t::array}});
}

Sample OpenAiFormat::convert(const json& record) const {
  require_record_object(record, "openai");
  const json& messages = require_array(record, "messages", "",
                                       "openai records need messages: [{role, content}, ...]");
  Sample sample;
  sample.kind = Sample::Kind::conversation;
  sample.tools = parse_tools(record);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    sample.messages.push_back(parse_message(messages[i], index_path("messages", i)));
  }
  return sample;
}

std::vector<json> OpenAiFormat::examples() const {
  const json time_tool = {
      {"type", "function"},
      {"function",
       {{"name", "get_time"},
        {"description", "Current local time in a city"},
        {"parameters",
         {{"type", "object"},
          {"properties", {{"city", {{"type", "string"}}}}},
          {"required", json::array({"city"})}}}}}};
  return {
      {{"messages",
        json::array({{{"role", "system"}, {"content", "You are the ftcore help assistant."}},
                     {{"role", "user"}, {"content", "How do I list installed plugins?"}},
                     {{"role", "assistant"}, {"content", "Run `ftcore plugins`."}}})}},
      {{"messages",
        json::array({{{"role", "user"}, {"content", "What is 17 * 3?"}},
                     {{"role", "assistant"},
                      {"reasoning", "17 * 3 = 51."},
                      {"content", "17 * 3 is 51."}}})}},
      {{"tools", json::array({time_tool})},
       {"messages",
        json::array({{{"role", "user"}, {"content", "What time is it in Paris?"}},
                     {{"role", "assistant"},
                      {"content", nullptr},
                      {"tool_calls",
                       json::array({{{"id", "call_1"},
                                     {"type", "function"},
                                     {"function",
                                      {{"name", "get_time"},
                                       {"arguments", R"({"city": "Paris"})"}}}}})}},
                     {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "14:05"}},
                     {{"role", "assistant"}, {"content", "It is 14:05 in Paris."}}})}},
  };
}

}  // namespace ftcore::formats
