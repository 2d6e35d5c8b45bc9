// Chat templates from a model directory, Sample -> template messages, and trained spans.
#include <gtest/gtest.h>

#include "chat/chat_template.hpp"
#include "chat/conversation.hpp"
#include "errors.hpp"
#include "test_support.hpp"

using namespace ftcore;
using namespace ftcore::chat;
using ftcore::testing::TempDir;
using nlohmann::ordered_json;

namespace {

const char* kChatMl =
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

const char* kChatMlGeneration =
    "{% for m in messages %}<|im_start|>{{ m.role }}\n"
    "{% if m.role == 'assistant' %}{% generation %}{{ m.content }}<|im_end|>{% endgeneration %}"
    "{% else %}{{ m.content }}<|im_end|>{% endif %}\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

Message turn(Role role, const std::string& content, bool train = false) {
  Message m;
  m.role = role;
  m.content = content;
  m.train = train;
  return m;
}

Sample two_turns() {
  Sample s;
  s.messages = {turn(Role::user, "hi"), turn(Role::assistant, "hello", true), turn(Role::user, "bye"),
                turn(Role::assistant, "ciao", true)};
  return s;
}

ordered_json one_message() { return ordered_json::array({{{"role", "user"}, {"content", "x"}}}); }

std::vector<std::string> trained_text(const RenderedConversation& r) {
  std::vector<std::string> out;
  for (const auto& [b, e] : r.trained) out.push_back(r.text.substr(b, e - b));
  return out;
}

}  // namespace

TEST(ChatTemplate, RejectsAnEmptyConversationLikeTransformers) {
  ChatTemplate chat("{% for m in messages %}{{ m.content }}{% endfor %}", ordered_json::object(), "t.jinja");
  try {
    chat.render(ordered_json::array(), nullptr, false);
    FAIL() << "an empty conversation rendered";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("t.jinja: a conversation needs at least one message (got an empty list)"),
              std::string::npos) << e.what();
  }
}

TEST(ChatTemplate, ReadsTokenizerConfigWithObjectSpecialTokens) {
  TempDir dir;
  dir.write("tokenizer_config.json", R"({"chat_template": "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}",
    "bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>"})");
  ChatTemplate chat = ChatTemplate::from_model_dir(dir.path());
  ordered_json messages = ordered_json::array({{{"role", "user"}, {"content", "x"}}});
  EXPECT_EQ(chat.render(messages, nullptr, false).text, "<s>x</s>");
}

TEST(ChatTemplate, NamedListAndJinjaFileAndFallback) {
  TempDir dir;
  dir.write("tokenizer_config.json",
            R"({"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]})");
  EXPECT_EQ(ChatTemplate::from_model_dir(dir.path()).render(one_message(), nullptr, false).text, "D");
  EXPECT_EQ(ChatTemplate::from_model_dir(dir.path(), "tool_use").render(one_message(), nullptr, false).text, "T");
  try {
    ChatTemplate::from_model_dir(dir.path(), "tool_uses");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no chat template named 'tool_uses' (did you mean 'tool_use'?)"),
              std::string::npos);
  }
  dir.write("chat_template.jinja", "J");
  EXPECT_EQ(ChatTemplate::from_model_dir(dir.path()).render(one_message(), nullptr, false).text, "J");

  TempDir bare;
  EXPECT_THROW(ChatTemplate::from_model_dir(bare.path()), UsageError);
  EXPECT_EQ(ChatTemplate::from_model_dir(bare.path(), "", std::string("F")).render(one_message(), nullptr, false).text,
            "F");
}

TEST(Conversation, TemplateMessagesCarryToolCallsAsObjectsAndReasoning) {
  Message call = turn(Role::assistant, "", true);
  call.content.reset();
  call.reasoning = "think";
  call.tool_calls.push_back({"call_1", "function", "f", R"({"a": 1})"});
  Message result = turn(Role::tool, "2");
  result.tool_call_id = "call_1";
  ordered_json m = to_template_messages({call, result}, "reasoning_content");
  EXPECT_EQ(m[0].dump(), R"({"role":"assistant","reasoning_content":"think","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":{"a":1}}}]})");
  EXPECT_EQ(m[1].dump(), R"({"role":"tool","content":"2","tool_call_id":"call_1"})");
  ordered_json inline_reasoning = to_template_messages({call}, "");
  EXPECT_EQ(inline_reasoning[0]["content"], "<think>\nthink\n</think>\n\n");
  EXPECT_EQ(reasoning_field("{{ m.reasoning_content }}"), "reasoning_content");
  EXPECT_EQ(reasoning_field("{{ m.content }}"), "");
}

TEST(Conversation, TrainedSpansByPrefixRendering) {
  ChatTemplate chat(kChatMl, ordered_json::object(), "chatml");
  RenderedConversation r = render_conversation(chat, two_turns());
  EXPECT_EQ(trained_text(r), (std::vector<std::string>{"hello<|im_end|>\n", "ciao<|im_end|>\n"}));
}

TEST(Conversation, TrainedSpansFromGenerationBlocksSkipUntrainedTurns) {
  ChatTemplate chat(kChatMlGeneration, ordered_json::object(), "chatml-gen");
  Sample s = two_turns();
  s.messages[1].train = false;
  RenderedConversation r = render_conversation(chat, s);
  EXPECT_EQ(trained_text(r), std::vector<std::string>{"ciao<|im_end|>"});
}

TEST(Conversation, TemplateThatIsNotPrefixStableIsAnError) {
  // Renders the last assistant turn differently from earlier ones.
  ChatTemplate chat("{% for m in messages %}{{ m.content }}{% if loop.last %}!{% endif %}|{% endfor %}",
                    ordered_json::object(), "unstable");
  try {
    render_conversation(chat, two_turns());
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("not prefix-stable at message 1"), std::string::npos) << e.what();
  }
}
