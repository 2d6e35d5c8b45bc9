#include "sharegpt_format.hpp"

#include <deque>
#include <optional>

#include "ftcore/format_util.hpp"

namespace ftcore::formats {

using nlohmann::json;
using namespace format_util;

namespace {

enum class Speaker { user, assistant, system, function_call, observation };

const char* const kAcceptedFrom =
    "human, user, gpt, assistant, system, function_call, observation, tool";

std::optional<Speaker> parse_speaker(const std::string& from) {
  if (from == "human" || from == "user") return Speaker::user;
  if (from == "gpt" || from == "assistant") return Speaker::assistant;
  if (from == "system") return Speaker::system;
  if (from == "function_call") return Speaker::function_call;
  if (from == "observation" || from == "tool") return Speaker::observation;
  return std::nullopt;
}

/// The call(s) of a function_call turn: an object, an array of objects, or a string of JSON
/// holding either (LLaMA-Factory writes a string).
json function_call_value(const json& value, const std::string& path) {
  if (value.is_object() || value.is_array()) return value;
  const char* expected = "a {\"name\", \"arguments\"} object, a list of them, or a string of JSON";
  if (!value.is_string()) throw_wrong_type(path, expected, value);
  json parsed = json::parse(value.get<std::string>(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    throw FormatError(path, "'" + path + "' of a function_call turn must be JSON like "
                            "{\"name\": \"f\", \"arguments\": {...}}, but it does not parse");
  }
  if (!parsed.is_object() && !parsed.is_array()) throw_wrong_type(path, expected, parsed);
  return parsed;
}

/// Turns the turns into messages, giving each call an id ("call_0", "call_1", ...) and each
/// observation the id of the oldest call not yet answered.
class ConversationBuilder {
 public:
  explicit ConversationBuilder(std::vector<Message>& messages) : messages_(messages) {}

  void add(Speaker speaker, const json& turn, const std::string& turn_path) {
    if (speaker == Speaker::function_call) {
      add_function_call(require_member(turn, "value", turn_path), field_path(turn_path, "value"));
      return;
    }
    std::string value = require_string(turn, "value", turn_path);
    if (speaker == Speaker::observation) {
      add_observation(std::move(value));
    } else {
      messages_.push_back(text_message(role_of(speaker), std::move(value)));
    }
  }

 private:
  static Role role_of(Speaker speaker) {
    if (speaker == Speaker::assistant) return Role::assistant;
    return speaker == Speaker::system ? Role::system : Role::user;
  }

  void add_function_call(const json& value, const std::string& path) {
    const json calls = function_call_value(value, path);
    Message message;
    message.role = Role::assistant;
    message.train = true;
    if (calls.is_object()) {
      message.tool_calls.push_back(parse_function(calls, path, next_call_id()));
    } else {
      for (std::size_t i = 0; i < calls.size(); ++i) {
        message.tool_calls.push_back(parse_function(calls[i], index_path(path, i), next_call_id()));
      }
    }
    unanswered_.insert(unanswered_.end(), message.tool_calls.begin(), message.tool_calls.end());
    messages_.push_back(std::move(message));
  }

  // With no call left to answer the id stays "", which the engine reports.
  void add_observation(std::string content) {
    Message message = text_message(Role::tool, std::move(content));
    if (!unanswered_.empty()) {
      message.tool_call_id = unanswered_.front().id;
      message.name = unanswered_.front().name;
      unanswered_.pop_front();
    }
    messages_.push_back(std::move(message));
  }

  std::string next_call_id() { return "call_" + std::to_string(calls_made_++); }

  std::vector<Message>& messages_;
  std::deque<ToolCall> unanswered_;
  std::size_t calls_made_ = 0;
};

}  // namespace

std::string ShareGptFormat::name() const { return "sharegpt"; }

std::string ShareGptFormat::description() const {
  return "ShareGPT conversations: {conversations: [{from, value}], system?, tools?}";
}

double ShareGptFormat::score(const json& record) const {
  return score_keys(record, {{"conversations", json::value_t::array}});
}

Sample ShareGptFormat::convert(const json& record) const {
  require_record_object(record, "sharegpt");
  const json& turns = require_array(record, "conversations", "",
                                    "sharegpt records need conversations: [{from, value}, ...]");
  Sample sample;
  sample.kind = Sample::Kind::conversation;
  sample.tools = parse_tools(record);
  if (auto system = optional_string(record, "system", ""); system && !system->empty()) {
    sample.messages.push_back(text_message(Role::system, *system));
  }
  ConversationBuilder builder(sample.messages);
  for (std::size_t i = 0; i < turns.size(); ++i) {
    const std::string turn_path = index_path("conversations", i);
    require_object_value(turns[i], turn_path);
    const std::string from = require_string(turns[i], "from", turn_path);
    const std::optional<Speaker> speaker = parse_speaker(from);
    if (!speaker) {
      const std::string from_path = field_path(turn_path, "from");
      throw FormatError(from_path, "unknown role '" + from + "' in '" + from_path +
                                       "'; accepted: " + kAcceptedFrom);
    }
    builder.add(*speaker, turns[i], turn_path);
  }
  return sample;
}

std::vector<json> ShareGptFormat::examples() const {
  const json weather_tool = {
      {"name", "get_weather"},
      {"description", "Current weather for a city"},
      {"parameters",
       {{"type", "object"},
        {"properties", {{"city", {{"type", "string"}}}}},
        {"required", json::array({"city"})}}}};
  return {
      {{"conversations",
        json::array({{{"from", "human"}, {"value", "What does ftcore do?"}},
                     {{"from", "gpt"}, {"value", "It fine-tunes language models in C++."}},
                     {{"from", "human"}, {"value", "Which adapter methods does it have?"}},
                     {{"from", "gpt"}, {"value", "LoRA, QLoRA, DoRA, AdaLoRA, full and freeze."}}})}},
      {{"system", "Answer in one short sentence."},
       {"conversations",
        json::array({{{"from", "human"}, {"value", "What is the capital of Japan?"}},
                     {{"from", "gpt"}, {"value", "Tokyo is the capital of Japan."}}})}},
      {{"tools", json::array({weather_tool}).dump()},
       {"conversations",
        json::array({{{"from", "human"}, {"value", "Is it raining in Oslo?"}},
                     {{"from", "function_call"},
                      {"value", R"({"name": "get_weather", "arguments": {"city": "Oslo"}})"}},
                     {{"from", "observation"}, {"value", R"({"condition": "rain", "celsius": 7})"}},
                     {{"from", "gpt"}, {"value", "Yes, it is raining in Oslo, 7 °C."}}})}},
  };
}

}  // namespace ftcore::formats
