#include "data/checks.hpp"

#include <set>

#include <nlohmann/json.hpp>

#include "util/text.hpp"

namespace ftcore::data {

namespace {

std::string turn(std::size_t i) { return "messages[" + std::to_string(i) + "]"; }

bool has_text(const std::optional<std::string>& content) {
  return content && !text::trim(*content).empty();
}

void check_conversation(const Sample& sample, std::vector<SampleProblem>& problems) {
  if (sample.messages.empty()) {
    problems.push_back({"messages", "empty conversation: it has no messages"});
    return;
  }
  std::set<std::string> call_ids;
  bool trains = false;
  for (std::size_t i = 0; i < sample.messages.size(); ++i) {
    const Message& m = sample.messages[i];
    trains = trains || m.train;
    if (m.role == Role::assistant && !has_text(m.content) && m.tool_calls.empty())
      problems.push_back({turn(i), "assistant turn has neither content nor tool_calls"});
    for (std::size_t c = 0; c < m.tool_calls.size(); ++c) {
      const ToolCall& call = m.tool_calls[c];
      std::string field = turn(i) + ".tool_calls[" + std::to_string(c) + "]";
      if (call.name.empty()) problems.push_back({field + ".function.name", "tool call has no function name"});
      if (!nlohmann::json::accept(call.arguments))
        problems.push_back({field + ".function.arguments",
                            "arguments of call '" + call.name + "' are not valid JSON: '" + call.arguments +
                                "' (write them as a JSON object in a string, e.g. \"{\\\"city\\\": \\\"Paris\\\"}\")"});
      if (!call.id.empty()) call_ids.insert(call.id);
    }
    if (m.role == Role::tool) {
      if (m.tool_call_id.empty())
        problems.push_back({turn(i) + ".tool_call_id", "tool message has no tool_call_id"});
      else if (!call_ids.count(m.tool_call_id))
        problems.push_back({turn(i) + ".tool_call_id",
                            "tool message answers tool_call_id '" + m.tool_call_id +
                                "', but no earlier assistant turn made a call with that id"});
    }
  }
  if (!trains)
    problems.push_back({"messages", "no trainable turn: nothing here is trained on (no assistant turn, or "
                                    "every assistant turn has weight 0)"});
}

}  // namespace

std::vector<SampleProblem> check_sample(const Sample& sample) {
  std::vector<SampleProblem> problems;
  switch (sample.kind) {
    case Sample::Kind::conversation:
      check_conversation(sample, problems);
      break;
    case Sample::Kind::prompt_completion:
      if (sample.completion.empty())
        problems.push_back({"completion", "empty completion: nothing to train on"});
      break;
    case Sample::Kind::text:
      if (text::trim(sample.text).empty()) problems.push_back({"text", "empty text: nothing to train on"});
      break;
  }
  return problems;
}

}  // namespace ftcore::data
