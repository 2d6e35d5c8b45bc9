// Chat templates of the real Llama-2, Llama-3, Qwen3 and Gemma-3 checkpoints rendered by ftcore
// (ChatTemplate + the Jinja engine) against transformers' apply_chat_template(..., tokenize=False).
// Reference: FTCORE_PARITY_DIR/refs/templates.json (reference_templates.py over conversations.json).
// Where the reference raises, ftcore must raise too (the messages are not compared).
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "chat/chat_template.hpp"
#include "parity_common.hpp"

namespace {

using ftcore::parity::show;
using nlohmann::ordered_json;

constexpr std::size_t kShowMismatches = 6;

class TemplateParity : public ::testing::TestWithParam<std::string> {};

TEST_P(TemplateParity, RendersLikeTransformers) {
  const std::string name = GetParam();
  const auto& loaded = ftcore::parity::reference_file("templates.json");
  ASSERT_TRUE(loaded.error.empty()) << loaded.error;
  const ordered_json& ref = loaded.doc;
  ASSERT_TRUE(ref.contains("models") && ref["models"].contains(name)) << "refs/templates.json has no " << name;
  const auto& entry = ref["models"][name];

  std::map<std::string, const ordered_json*> conversations;
  for (const auto& conv : ref["conversations"]) conversations[conv["id"].get<std::string>()] = &conv;

  auto model_dir = ftcore::parity::parity_dir() / "npm" / name / "models";
  std::optional<std::string> fallback;
  if (entry["fallback_template"].is_string()) fallback = entry["fallback_template"].get<std::string>();
  std::unique_ptr<ftcore::chat::ChatTemplate> chat;
  try {
    chat = std::make_unique<ftcore::chat::ChatTemplate>(ftcore::chat::ChatTemplate::from_model_dir(model_dir, "", fallback));
  } catch (const std::exception& e) {
    FAIL() << name << ": ftcore could not load the chat template of " << model_dir << ": " << e.what();
  }

  std::size_t same = 0, total = 0, raises = 0;
  std::vector<std::string> shown;
  for (const auto& result : entry["results"]) {
    ++total;
    const std::string id = result["id"].get<std::string>();
    const bool add_generation_prompt = result["add_generation_prompt"].get<bool>();
    const ordered_json& conv = *conversations.at(id);
    const ordered_json tools = conv.contains("tools") ? conv["tools"] : ordered_json(nullptr);
    const ordered_json extra = conv.contains("kwargs") ? conv["kwargs"] : ordered_json::object();

    std::optional<std::string> text;
    std::string error;
    try {
      text = chat->render(conv["messages"], tools, add_generation_prompt, extra).text;
    } catch (const std::exception& e) {
      error = e.what();
    }

    const std::string label = "  " + id + " (add_generation_prompt=" + (add_generation_prompt ? "true" : "false") + ")";
    std::string detail;
    if (result.contains("error")) {
      ++raises;
      if (!text) ++same;
      else
        detail = label + ": the reference raises (" + result["error"].get<std::string>() +
                 ") but ftcore rendered " + show(*text, 400);
    } else {
      const std::string expected = result["text"].get<std::string>();
      if (!text)
        detail = label + ": ftcore raised (" + error + ") but the reference renders " + show(expected, 400);
      else if (*text == expected)
        ++same;
      else
        detail = label + ": " + ftcore::parity::first_difference(expected, *text);
    }
    if (!detail.empty() && shown.size() < kShowMismatches) shown.push_back(detail);
  }

  std::cout << "[parity] template " << name << " (" << chat->origin() << "; reference "
            << ref.value("reference", std::string("transformers")) << "): " << same << "/" << total
            << " renderings identical (" << raises << " of them raise in the reference)\n";
  for (const auto& s : shown) std::cout << s << "\n";
  EXPECT_EQ(same, total) << name << ": " << (total - same) << " renderings differ from transformers (details above)";
}

INSTANTIATE_TEST_SUITE_P(RealTemplates, TemplateParity, ::testing::Values("llama2", "llama3", "qwen3", "gemma3"),
                         [](const auto& info) { return info.param; });

TEST(TemplateParityConversations, HasAtLeast30Conversations) {
  const auto& loaded = ftcore::parity::reference_file("templates.json");
  ASSERT_TRUE(loaded.error.empty()) << loaded.error;
  EXPECT_GE(loaded.doc["conversations"].size(), 30u);
}

}  // namespace
