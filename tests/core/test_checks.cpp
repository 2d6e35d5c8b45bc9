// Conversation checks every format's samples get.
#include <gtest/gtest.h>

#include "data/checks.hpp"

using namespace ftcore;
using namespace ftcore::data;

namespace {
Message msg(Role role, std::optional<std::string> content, bool train = false) {
  Message m;
  m.role = role;
  m.content = std::move(content);
  m.train = train;
  return m;
}
Sample chat(std::vector<Message> messages) {
  Sample s;
  s.messages = std::move(messages);
  return s;
}
std::string only_problem(const Sample& s) {
  auto problems = check_sample(s);
  if (problems.size() != 1) return "<" + std::to_string(problems.size()) + " problems>";
  return problems[0].field + ": " + problems[0].message;
}
}  // namespace

TEST(Checks, ValidConversationWithToolRoundTrip) {
  Message call = msg(Role::assistant, std::nullopt, true);
  call.tool_calls.push_back({"call_1", "function", "get_weather", R"({"city": "Paris"})"});
  Message result = msg(Role::tool, "18C");
  result.tool_call_id = "call_1";
  EXPECT_TRUE(check_sample(chat({msg(Role::user, "weather?"), call, result, msg(Role::assistant, "18C", true)})).empty());
}

TEST(Checks, EachProblemIsNamed) {
  EXPECT_EQ(only_problem(chat({})), "messages: empty conversation: it has no messages");
  EXPECT_EQ(only_problem(chat({msg(Role::user, "hi"), msg(Role::assistant, std::nullopt, true), msg(Role::assistant, "x", true)})),
            "messages[1]: assistant turn has neither content nor tool_calls");
  EXPECT_EQ(only_problem(chat({msg(Role::user, "hi"), msg(Role::assistant, "x", false)})),
            "messages: no trainable turn: nothing here is trained on (no assistant turn, or every assistant turn has "
            "weight 0)");

  Message tool = msg(Role::tool, "42");
  tool.tool_call_id = "call_9";
  EXPECT_EQ(only_problem(chat({msg(Role::user, "q"), tool, msg(Role::assistant, "a", true)})),
            "messages[1].tool_call_id: tool message answers tool_call_id 'call_9', but no earlier assistant turn "
            "made a call with that id");
  tool.tool_call_id = "";
  EXPECT_EQ(only_problem(chat({msg(Role::user, "q"), tool, msg(Role::assistant, "a", true)})),
            "messages[1].tool_call_id: tool message has no tool_call_id");

  Message bad_args = msg(Role::assistant, std::nullopt, true);
  bad_args.tool_calls.push_back({"c", "function", "f", "{city: Rome}"});
  std::string problem = only_problem(chat({msg(Role::user, "q"), bad_args}));
  EXPECT_EQ(problem.substr(0, problem.find(" (write")),
            "messages[1].tool_calls[0].function.arguments: arguments of call 'f' are not valid JSON: '{city: Rome}'");
}

TEST(Checks, CompletionAndText) {
  Sample pc;
  pc.kind = Sample::Kind::prompt_completion;
  pc.prompt = "p";
  EXPECT_EQ(only_problem(pc), "completion: empty completion: nothing to train on");
  pc.completion = "c";
  EXPECT_TRUE(check_sample(pc).empty());
  Sample t;
  t.kind = Sample::Kind::text;
  t.text = "  \n";
  EXPECT_EQ(only_problem(t), "text: empty text: nothing to train on");
}
