#include "format_test_util.hpp"
#include "sharegpt/sharegpt_format.hpp"

namespace ftcore::test {
namespace {

const formats::ShareGptFormat sharegpt;

json turn(const std::string& from, json value) { return {{"from", from}, {"value", std::move(value)}}; }

json conversation(std::initializer_list<json> turns) {
  return {{"conversations", array_of(turns)}};
}

TEST(ShareGptFormat, RolesMapToMessages) {
  const Sample sample = sharegpt.convert(conversation(
      {turn("system", "S"), turn("human", "Q1"), turn("gpt", "A1"), turn("user", "Q2"),
       turn("assistant", "A2")}));
  EXPECT_EQ(sample.kind, Sample::Kind::conversation);
  expect_messages(sample.messages,
                  {message(Role::system, "S"), message(Role::user, "Q1"),
                   message(Role::assistant, "A1", true), message(Role::user, "Q2"),
                   message(Role::assistant, "A2", true)});
}

TEST(ShareGptFormat, TopLevelSystemComesFirstUnlessEmpty) {
  json record = conversation({turn("human", "Q"), turn("gpt", "A")});
  record["system"] = "Be brief.";
  expect_messages(sharegpt.convert(record).messages,
                  {message(Role::system, "Be brief."), message(Role::user, "Q"),
                   message(Role::assistant, "A", true)});
  record["system"] = "";
  EXPECT_EQ(sharegpt.convert(record).messages.size(), 2u);
}

TEST(ShareGptFormat, FunctionCallAndObservationRoundTrip) {
  json record = conversation(
      {turn("human", "Weather in Oslo?"),
       turn("function_call", R"({"name": "get_weather", "arguments": {"city": "Oslo"}})"),
       turn("observation", "rain"), turn("gpt", "It rains.")});
  record["tools"] = R"([{"name": "get_weather"}])";
  const Sample sample = sharegpt.convert(record);

  Message call = message(Role::assistant, std::nullopt, true);
  call.tool_calls = {tool_call("call_0", "get_weather", R"({"city":"Oslo"})")};
  Message result = message(Role::tool, "rain");
  result.tool_call_id = "call_0";
  result.name = "get_weather";
  expect_messages(sample.messages, {message(Role::user, "Weather in Oslo?"), call, result,
                                    message(Role::assistant, "It rains.", true)});
  EXPECT_EQ(sample.tools, json::parse(R"([{"name": "get_weather"}])"));
}

TEST(ShareGptFormat, ParallelCallsAreAnsweredInOrder) {
  const json calls = json::array({{{"name", "f"}, {"arguments", "{\"x\": 1}"}},
                                  {{"name", "g"}, {"arguments", json::object()}}});
  const Sample sample = sharegpt.convert(conversation(
      {turn("human", "go"), turn("function_call", calls), turn("tool", "F"),
       turn("observation", "G"), turn("function_call", {{"name", "h"}, {"arguments", "{}"}}),
       turn("observation", "H")}));
  const auto& messages = sample.messages;
  ASSERT_EQ(messages.size(), 6u);
  ASSERT_EQ(messages[1].tool_calls.size(), 2u);
  // A string of arguments is kept byte for byte; an object is serialised.
  EXPECT_EQ(messages[1].tool_calls[0].arguments, "{\"x\": 1}");
  EXPECT_EQ(messages[1].tool_calls[1].arguments, "{}");
  EXPECT_EQ(messages[1].tool_calls[1].id, "call_1");
  EXPECT_EQ(messages[2].tool_call_id, "call_0");
  EXPECT_EQ(messages[3].tool_call_id, "call_1");
  EXPECT_EQ(messages[4].tool_calls.at(0).id, "call_2");
  EXPECT_EQ(messages[5].tool_call_id, "call_2");
  EXPECT_EQ(messages[5].name, "h");
}

TEST(ShareGptFormat, ObservationWithoutACallKeepsAnEmptyIdForTheEngineToReport) {
  const Sample sample = sharegpt.convert(conversation({turn("human", "Q"), turn("observation", "x")}));
  EXPECT_EQ(sample.messages.at(1).role, Role::tool);
  EXPECT_EQ(sample.messages.at(1).tool_call_id, "");
}

TEST(ShareGptFormat, ToolsMayBeAnArray) {
  json record = conversation({turn("human", "Q"), turn("gpt", "A")});
  record["tools"] = json::array({{{"name", "f"}}});
  EXPECT_EQ(sharegpt.convert(record).tools, record["tools"]);
}

TEST(ShareGptFormat, RecordShapeErrors) {
  expect_format_error(sharegpt, 42, "", "sharegpt records must be JSON objects, got number");
  expect_format_error(sharegpt, {{"messages", json::array()}}, "conversations",
                      "missing required field 'conversations'");
  expect_format_error(sharegpt, {{"conversations", "hi"}}, "conversations",
                      "'conversations' must be an array, got string");
  expect_format_error(sharegpt, conversation({"hi"}), "conversations[0]",
                      "'conversations[0]' must be an object, got string");
}

TEST(ShareGptFormat, TurnErrors) {
  expect_format_error(sharegpt, conversation({turn("human", "Q"), {{"value", "A"}}}),
                      "conversations[1].from", "missing required field 'conversations[1].from'");
  expect_format_error(sharegpt, conversation({turn("human", 5)}), "conversations[0].value",
                      "'conversations[0].value' must be a string, got number");
  expect_format_error(sharegpt, conversation({{{"from", "human"}}}), "conversations[0].value",
                      "missing required field");
}

TEST(ShareGptFormat, UnknownFromListsTheAcceptedValues) {
  expect_format_error(
      sharegpt, conversation({turn("human", "Q"), turn("gpt", "A"), turn("human", "Q"), turn("bot", "A")}),
      "conversations[3].from",
      "unknown role 'bot' in 'conversations[3].from'; accepted: human, user, gpt, assistant, system, "
      "function_call, observation, tool");
}

TEST(ShareGptFormat, FunctionCallErrors) {
  auto call_record = [](json value) { return conversation({turn("human", "Q"), turn("function_call", value)}); };
  expect_format_error(sharegpt, call_record("not json"), "conversations[1].value", "does not parse");
  expect_format_error(sharegpt, call_record(7), "conversations[1].value",
                      "'conversations[1].value' must be a {\"name\", \"arguments\"} object");
  expect_format_error(sharegpt, call_record(R"({"arguments": {}})"), "conversations[1].value.name",
                      "missing required field 'conversations[1].value.name'");
  expect_format_error(sharegpt, call_record({{"name", "f"}}), "conversations[1].value.arguments",
                      "missing required field");
  expect_format_error(sharegpt, call_record({{"name", "f"}, {"arguments", 3}}),
                      "conversations[1].value.arguments",
                      "must be a string of JSON or an object, got number");
  expect_format_error(sharegpt, call_record(json::array({{{"name", "f"}, {"arguments", "{}"}}, "g"})),
                      "conversations[1].value[1]", "'conversations[1].value[1]' must be an object, got string");
}

TEST(ShareGptFormat, ToolsErrors) {
  json record = conversation({turn("human", "Q")});
  record["tools"] = "[not json";
  expect_format_error(sharegpt, record, "tools", "not valid JSON");
  record["tools"] = R"({"name": "f"})";
  expect_format_error(sharegpt, record, "tools", "'tools' must hold a JSON array, got object");
  record["tools"] = 1;
  expect_format_error(sharegpt, record, "tools", "'tools' must be an array or a string holding one, got number");
}

TEST(ShareGptFormat, Score) {
  EXPECT_EQ(sharegpt.score(conversation({turn("human", "Q")})), 1.0);
  EXPECT_EQ(sharegpt.score({{"conversations", "x"}}), 0.5);
  EXPECT_EQ(sharegpt.score({{"messages", json::array()}}), 0.0);
  EXPECT_EQ(sharegpt.score(nullptr), 0.0);
}

}  // namespace
}  // namespace ftcore::test
