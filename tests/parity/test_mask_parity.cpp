// ftcore's label masks for conversations against transformers' return_assistant_tokens_mask
// (reference_masks.py -> FTCORE_PARITY_DIR/refs/masks.json), on the real Llama-2, Llama-3, Qwen3
// and Gemma-3 tokenizers with a template that marks assistant turns with {% generation %}.
#include <iostream>

#include <gtest/gtest.h>

#include "chat/chat_template.hpp"
#include "parity_common.hpp"
#include "train/examples.hpp"

namespace {

using nlohmann::ordered_json;
using namespace ftcore;

Sample sample_of(const ordered_json& messages) {
  Sample sample;
  for (const auto& m : messages) {
    Message message;
    message.role = *parse_role(m["role"].get<std::string>());
    message.content = m["content"].get<std::string>();
    message.train = message.role == Role::assistant;
    sample.messages.push_back(message);
  }
  return sample;
}

class MaskParity : public ::testing::TestWithParam<std::string> {};

TEST_P(MaskParity, TrainedTokensAreTransformersAssistantMask) {
  const auto& loaded = ftcore::parity::reference_file("masks.json");
  ASSERT_TRUE(loaded.error.empty()) << loaded.error;
  const auto& ref = loaded.doc;
  auto tokenizer = tok::Tokenizer::from_file(ftcore::parity::parity_dir() / "npm" / GetParam() / "models" / "tokenizer.json");
  chat::ChatTemplate chat(ref["template"].get<std::string>(), ordered_json::object(), "generation template");
  train::ExampleOptions options;
  options.max_length = 1 << 20;
  train::ExampleBuilder builder(tokenizer, &chat, std::nullopt, options);
  std::map<std::string, const ordered_json*> conversations;
  for (const auto& c : ref["conversations"]) conversations[c["id"].get<std::string>()] = &c;

  std::size_t same = 0, total = 0;
  for (const auto& row : ref["models"][GetParam()]) {
    ++total;
    const std::string id = row["id"];
    auto example = builder.build(sample_of((*conversations.at(id))["messages"]));
    std::vector<std::int64_t> ids(example.ids.begin(), example.ids.end()), mask(example.trained.begin(), example.trained.end());
    const bool equal = ids == row["input_ids"].get<std::vector<std::int64_t>>() && mask == row["mask"].get<std::vector<std::int64_t>>();
    same += equal;
    if (!equal) ADD_FAILURE() << GetParam() << " " << id << ": ids or mask differ\n  ids  " << ftcore::parity::show_list(ids)
                              << "\n  mask " << ftcore::parity::show_list(mask) << "\n  expected mask "
                              << row["mask"].dump();
  }
  std::cout << "[parity] label mask " << GetParam() << ": " << same << "/" << total
            << " conversations identical to return_assistant_tokens_mask (" << ref["reference"].get<std::string>() << ")\n";
  EXPECT_GT(total, 5u);
}

INSTANTIATE_TEST_SUITE_P(Transformers, MaskParity, ::testing::Values("llama2", "llama3", "qwen3", "gemma3"),
                         [](const auto& info) { return info.param; });

}  // namespace
