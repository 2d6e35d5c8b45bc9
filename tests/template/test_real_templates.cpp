// Real Hugging Face chat templates (Llama-3, Qwen3 with tools and <think> reasoning, Gemma-3, Mistral) rendered
// with sample conversations; data/<template>.<conversation>.expected were produced by Python jinja2 3.1.4
// configured like transformers (an "ERROR: " prefix marks a raise_exception message).

#include "template_test_util.hpp"

using ftcore::tmpl::Template;
using ftcore::tmpl::TemplateError;

namespace {

std::string data(const std::string& name) { return read_file(std::string(FTCORE_TEMPLATE_DATA_DIR) + "/" + name); }

void check_pair(const std::string& tpl_name, const std::string& conv) {
  Template tpl(data(tpl_name + ".jinja"), tpl_name);
  auto vars = nlohmann::ordered_json::parse(data(conv + ".json"));
  std::string expected = data(tpl_name + "." + conv + ".expected");
  const std::string error_prefix = "ERROR: ";
  if (expected.rfind(error_prefix, 0) == 0) {
    try {
      tpl.render(vars);
      ADD_FAILURE() << tpl_name << "/" << conv << ": expected an error";
    } catch (const TemplateError& e) {
      std::string what = e.what();
      EXPECT_EQ(what.substr(what.size() - (expected.size() - error_prefix.size())), expected.substr(error_prefix.size()));
      EXPECT_EQ(what.rfind(tpl_name + ":", 0), 0u) << what;
    }
    return;
  }
  EXPECT_EQ(tpl.render(vars).text, expected) << tpl_name << "/" << conv;
}

}  // namespace

TEST(RealTemplates, Llama3) {
  check_pair("llama3", "basic");
  check_pair("llama3", "alternating");
}

TEST(RealTemplates, Qwen3Basic) { check_pair("qwen3", "basic"); }
TEST(RealTemplates, Qwen3ToolsAndThinkingDisabled) { check_pair("qwen3", "tools"); }
TEST(RealTemplates, Qwen3ReasoningHistory) { check_pair("qwen3", "reasoning"); }

TEST(RealTemplates, Gemma3) {
  check_pair("gemma3", "alternating");
  check_pair("gemma3", "multimodal");
  check_pair("gemma3", "bad_roles");
}

TEST(RealTemplates, Mistral) {
  check_pair("mistral", "alternating");
  check_pair("mistral", "basic");
}

TEST(RealTemplates, GenerationSpansCoverAssistantTurns) {
  check_pair("chatml_generation", "basic");
  Template tpl(data("chatml_generation.jinja"), "chatml");
  auto vars = nlohmann::ordered_json::parse(data("basic.json"));
  auto rendered = tpl.render(vars);
  ASSERT_EQ(rendered.generation_spans.size(), 1u);
  auto [begin, end] = rendered.generation_spans[0];
  EXPECT_EQ(rendered.text.substr(begin, end - begin), vars["messages"][2]["content"].get<std::string>() + "<|im_end|>");
}

TEST(RealTemplates, GenerationSpansAreByteOffsetsInOrder) {
  Template tpl("{% for m in ms %}[{% generation %}{{ m }}{% endgeneration %}]{% endfor %}{% set x %}{% generation %}no{% endgeneration %}{% endset %}");
  auto r = tpl.render({{"ms", {"é", "ab"}}});
  EXPECT_EQ(r.text, "[é][ab]");
  ASSERT_EQ(r.generation_spans.size(), 2u);  // spans inside captured output (set blocks) are not recorded
  EXPECT_EQ(r.generation_spans[0], std::make_pair(std::size_t{1}, std::size_t{3}));
  EXPECT_EQ(r.generation_spans[1], std::make_pair(std::size_t{5}, std::size_t{7}));
}

TEST(RealTemplates, ParseOnceRenderManyAndMove) {
  Template tpl(data("qwen3.jinja"), "qwen3");
  auto vars = nlohmann::ordered_json::parse(data("tools.json"));
  std::string first = tpl.render(vars).text;
  Template moved(std::move(tpl));
  for (int k = 0; k < 3; ++k) EXPECT_EQ(moved.render(vars).text, first);
  EXPECT_EQ(first, data("qwen3.tools.expected"));
}

TEST(Globals, StrftimeNowFormatsLocalTime) {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char year[8];
  std::strftime(year, sizeof year, "%Y", &local);
  EXPECT_EQ(render_template("{{ strftime_now('%Y') }}", "{}"), year);
  EXPECT_EQ(render_template("{{ strftime_now('%d %b %Y')|length }}", "{}"), "11");
}
