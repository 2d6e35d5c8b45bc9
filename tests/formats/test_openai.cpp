#include "format_test_util.hpp"
#include "openai/openai_format.hpp"

namespace ftcore::test {
namespace {

const formats::OpenAiFormat openai;

json messages(std::initializer_list<json> list) { return {{"messages", array_of(list)}}; }

json msg(const std::string& role, json content) { return {{"role", role}, {"content", std::move(content)}}; }

/// {"messages": [user "Q", <assistant>]}, to test one assistant message's fields.
json with_assistant(json assistant) { return messages({msg("user", "Q"), std::move(assistant)}); }

TEST(OpenAiFormat, RolesMapToMessages) {
  const Sample sample = openai.convert(messages(
      {msg("system", "S"), msg("developer", "D"), msg("user", "Q"), msg("assistant", "A")}));
  EXPECT_EQ(sample.kind, Sample::Kind::conversation);
  expect_messages(sample.messages, {message(Role::system, "S"), message(Role::developer, "D"),
                                    message(Role::user, "Q"), message(Role::assistant, "A", true)});
  EXPECT_EQ(sample.tools, json::array());
}

TEST(OpenAiFormat, ToolCallRoundTrip) {
  const json tools = json::array({{{"type", "function"}, {"function", {{"name", "get_time"}}}}});
  json record = messages(
      {msg("user", "Time?"),
       {{"role", "assistant"},
        {"content", nullptr},
        {"tool_calls",
         json::array({{{"id", "c1"},
                       {"type", "function"},
                       {"function", {{"name", "get_time"}, {"arguments", "{ \"city\" : \"Paris\" }"}}}},
                      {{"id", "c2"}, {"function", {{"name", "get_date"}, {"arguments", {{"tz", "UTC"}}}}}}})}},
       {{"role", "tool"}, {"tool_call_id", "c1"}, {"name", "get_time"}, {"content", "14:05"}},
       {{"role", "tool"}, {"tool_call_id", "c2"}, {"content", "May 2"}},
       msg("assistant", "14:05 on May 2.")});
  record["tools"] = tools;
  const Sample sample = openai.convert(record);

  Message call = message(Role::assistant, std::nullopt, true);
  // String arguments are kept exactly; object arguments are serialised.
  call.tool_calls = {tool_call("c1", "get_time", "{ \"city\" : \"Paris\" }"),
                     tool_call("c2", "get_date", R"({"tz":"UTC"})")};
  Message time = message(Role::tool, "14:05");
  time.tool_call_id = "c1";
  time.name = "get_time";
  Message date = message(Role::tool, "May 2");
  date.tool_call_id = "c2";
  expect_messages(sample.messages, {message(Role::user, "Time?"), call, time, date,
                                    message(Role::assistant, "14:05 on May 2.", true)});
  EXPECT_EQ(sample.tools, tools);
}

TEST(OpenAiFormat, ReasoningAcceptsThreeSpellings) {
  for (const char* key : {"reasoning", "reasoning_content", "thinking"}) {
    json assistant = msg("assistant", "51");
    assistant[key] = "17 * 3 = 51";
    EXPECT_EQ(openai.convert(with_assistant(assistant)).messages.at(1).reasoning, "17 * 3 = 51") << key;
  }
}

TEST(OpenAiFormat, ContentPartsAreJoined) {
  const json parts = json::array({{{"type", "text"}, {"text", "one"}}, {{"type", "text"}, {"text", "two"}}});
  EXPECT_EQ(openai.convert(messages({msg("user", parts)})).messages.at(0).content, "one\ntwo");
}

TEST(OpenAiFormat, MissingOrNullContentIsAbsent) {
  const Sample sample = openai.convert(messages({{{"role", "assistant"}}, msg("assistant", nullptr)}));
  EXPECT_EQ(sample.messages.at(0).content, std::nullopt);
  EXPECT_EQ(sample.messages.at(1).content, std::nullopt);
}

TEST(OpenAiFormat, WeightSetsTrainOnAssistantTurns) {
  json skipped = msg("assistant", "A");
  skipped["weight"] = 0;
  json kept = msg("assistant", "B");
  kept["weight"] = 1;
  const Sample sample = openai.convert(messages({msg("user", "Q"), skipped, msg("user", "Q"), kept}));
  EXPECT_FALSE(sample.messages.at(1).train);
  EXPECT_TRUE(sample.messages.at(3).train);
}

TEST(OpenAiFormat, UnknownKeysAreIgnored) {
  json record = messages({msg("user", "Q"), msg("assistant", "A")});
  record["id"] = "abc";
  record["messages"][0]["refusal"] = nullptr;
  EXPECT_EQ(openai.convert(record).messages.size(), 2u);
}

TEST(OpenAiFormat, RecordShapeErrors) {
  expect_format_error(openai, "hello", "", "openai records must be JSON objects, got string");
  expect_format_error(openai, {{"conversations", json::array()}}, "messages",
                      "missing required field 'messages' (openai records need messages");
  expect_format_error(openai, {{"messages", {{"role", "user"}}}}, "messages",
                      "'messages' must be an array, got object");
  expect_format_error(openai, messages({msg("user", "Q"), 3}), "messages[1]",
                      "'messages[1]' must be an object, got number");
}

TEST(OpenAiFormat, RoleErrors) {
  expect_format_error(openai, messages({{{"content", "Q"}}}), "messages[0].role",
                      "missing required field 'messages[0].role'");
  expect_format_error(openai, messages({msg("user", "Q"), msg("bot", "A")}), "messages[1].role",
                      "unknown role 'bot' in 'messages[1].role'; accepted: system, developer, user, "
                      "assistant, tool");
}

TEST(OpenAiFormat, ContentErrors) {
  expect_format_error(openai, messages({msg("user", 12)}), "messages[0].content",
                      "'messages[0].content' must be a string, an array of text parts, or null, got number");
  expect_format_error(openai, messages({msg("user", json::array({{{"type", "image_url"}}}))}),
                      "messages[0].content[0].type", "unsupported content part type 'image_url'");
  expect_format_error(openai, messages({msg("user", json::array({{{"type", "text"}}}))}),
                      "messages[0].content[0].text", "missing required field 'messages[0].content[0].text'");
  expect_format_error(openai, messages({msg("user", json::array({"plain"}))}), "messages[0].content[0]",
                      "must be an object, got string");
}

TEST(OpenAiFormat, ReasoningAndNameErrors) {
  json assistant = msg("assistant", "A");
  assistant["reasoning_content"] = 1;
  expect_format_error(openai, with_assistant(assistant), "messages[1].reasoning_content",
                      "'messages[1].reasoning_content' must be a string, got number");
  json named = msg("user", "Q");
  named["name"] = json::array();
  expect_format_error(openai, messages({named}), "messages[0].name", "must be a string, got array");
}

TEST(OpenAiFormat, ToolCallErrors) {
  auto with_calls = [](json calls) {
    return with_assistant({{"role", "assistant"}, {"tool_calls", std::move(calls)}});
  };
  const json function = {{"name", "f"}, {"arguments", "{}"}};
  expect_format_error(openai, with_calls("f()"), "messages[1].tool_calls",
                      "'messages[1].tool_calls' must be an array, got string");
  expect_format_error(openai, with_calls(json::array({{{"function", function}}})), "messages[1].tool_calls[0].id",
                      "missing required field 'messages[1].tool_calls[0].id'");
  expect_format_error(openai, with_calls(json::array({{{"id", "c"}, {"type", "retrieval"}, {"function", function}}})),
                      "messages[1].tool_calls[0].type", "unsupported tool call type 'retrieval'");
  expect_format_error(openai, with_calls(json::array({{{"id", "c"}}})), "messages[1].tool_calls[0].function",
                      "missing required field");
  expect_format_error(openai, with_calls(json::array({{{"id", "c"}, {"function", "f"}}})),
                      "messages[1].tool_calls[0].function", "must be an object, got string");
  expect_format_error(openai,
                      with_calls(json::array({{{"id", "c"}, {"function", {{"name", "f"}, {"arguments", 1}}}}})),
                      "messages[1].tool_calls[0].function.arguments",
                      "'messages[1].tool_calls[0].function.arguments' must be a string of JSON or an object, got number");
  expect_format_error(openai,
                      with_calls(json::array({{{"id", "c"}, {"function", {{"arguments", "{}"}}}}})),
                      "messages[1].tool_calls[0].function.name", "missing required field");
}

TEST(OpenAiFormat, InvalidArgumentsTextIsKeptForTheEngine) {
  const Sample sample = openai.convert(with_assistant(
      {{"role", "assistant"},
       {"tool_calls", json::array({{{"id", "c"}, {"function", {{"name", "f"}, {"arguments", "{oops"}}}}})}}));
  EXPECT_EQ(sample.messages.at(1).tool_calls.at(0).arguments, "{oops");
}

TEST(OpenAiFormat, ToolMessageNeedsToolCallId) {
  expect_format_error(openai, messages({msg("user", "Q"), msg("tool", "x")}), "messages[1].tool_call_id",
                      "missing required field 'messages[1].tool_call_id' (a tool message names the call it answers)");
  json tool = msg("tool", "x");
  tool["tool_call_id"] = 4;
  expect_format_error(openai, messages({tool}), "messages[0].tool_call_id", "must be a string, got number");
}

TEST(OpenAiFormat, WeightErrors) {
  json assistant = msg("assistant", "A");
  assistant["weight"] = 0.5;
  expect_format_error(openai, with_assistant(assistant), "messages[1].weight",
                      "'messages[1].weight' must be 0 or 1, got 0.5");
  assistant["weight"] = "1";
  expect_format_error(openai, with_assistant(assistant), "messages[1].weight",
                      "must be a number (0 or 1), got string");
}

TEST(OpenAiFormat, Score) {
  EXPECT_EQ(openai.score(messages({msg("user", "Q")})), 1.0);
  EXPECT_EQ(openai.score({{"messages", "Q"}}), 0.5);
  EXPECT_EQ(openai.score({{"conversations", json::array()}}), 0.0);
  EXPECT_EQ(openai.score(json::array()), 0.0);
}

}  // namespace
}  // namespace ftcore::test
