// Samples to examples (token ids + trained positions) and examples to batches.
#include <gtest/gtest.h>

#include "method_support.hpp"
#include "model/model_dir.hpp"
#include "test_support.hpp"
#include "train/batches.hpp"
#include "train/examples.hpp"

using namespace ftcore;
using namespace ftcore::train;
using ftcore::testing::TempDir;

namespace {

/// A tiny qwen2 model directory (ChatML template, byte-level tokenizer), made once.
const model::Model& qwen() {
  static TempDir dir;
  static model::Model model = [] {
    model::InitOptions init;
    init.out = dir.path() / "qwen2";
    init.texts = {"What is LoRA? A low-rank adapter. Hello there, how are you today?"};
    model::init_model(ftcore::testing::family("qwen2"), init);
    return model::load_model(init.out, ftcore::testing::builtin_handlers(), {});
  }();
  return model;
}

Message turn(Role role, const std::string& content, bool train = false, const std::string& reasoning = "") {
  Message m;
  m.role = role;
  m.content = content;
  m.train = train;
  m.reasoning = reasoning;
  return m;
}

Sample conversation(std::vector<Message> messages) {
  Sample s;
  s.messages = std::move(messages);
  return s;
}

std::string trained_text(const Example& e, const tok::Tokenizer& tokenizer) {
  std::vector<std::int32_t> ids;
  for (std::size_t i = 0; i < e.ids.size(); ++i)
    if (e.trained[i]) ids.push_back(e.ids[i]);
  return tokenizer.decode(ids, false);
}

ExampleBuilder builder(ExampleOptions options = {}) {
  return ExampleBuilder(*qwen().tokenizer, qwen().chat.get(), qwen().tokenizer->token_to_id("<|im_end|>"), options);
}

}  // namespace

TEST(Examples, OnlyAssistantTurnsTrainInAConversation) {
  auto e = builder().build(conversation({turn(Role::system, "Be brief."), turn(Role::user, "What is LoRA?"),
                                          turn(Role::assistant, "A low-rank adapter.", true), turn(Role::user, "Hello?"),
                                          turn(Role::assistant, "Hello there.", true)}));
  EXPECT_EQ(trained_text(e, *qwen().tokenizer), "A low-rank adapter.<|im_end|>\nHello there.<|im_end|>\n");
  EXPECT_FALSE(e.truncated);
  auto all = builder({2048, true}).build(conversation({turn(Role::user, "Hi"), turn(Role::assistant, "Hello", true)}));
  EXPECT_EQ(all.trained_targets(), all.ids.size() - 1);
}

TEST(Examples, ReasoningIsTrainedMaskedOrDropped) {
  auto sample = conversation({turn(Role::user, "Why?"), turn(Role::assistant, "Because.", true, "Let me think")});
  auto trained = builder({2048, false, ReasoningPolicy::train}).build(sample);
  EXPECT_NE(trained_text(trained, *qwen().tokenizer).find("Let me think"), std::string::npos);
  auto masked = builder({2048, false, ReasoningPolicy::mask}).build(sample);
  EXPECT_EQ(masked.ids, trained.ids) << "mask keeps the reasoning in the text";
  EXPECT_EQ(trained_text(masked, *qwen().tokenizer).find("Let me think"), std::string::npos);
  EXPECT_NE(trained_text(masked, *qwen().tokenizer).find("Because."), std::string::npos);
  auto dropped = builder({2048, false, ReasoningPolicy::drop}).build(sample);
  EXPECT_LT(dropped.ids.size(), trained.ids.size());
  EXPECT_THROW(parse_reasoning("hide"), std::invalid_argument);
}

TEST(Examples, CompletionAndEosTrainButNotThePrompt) {
  Sample s;
  s.kind = Sample::Kind::prompt_completion;
  s.prompt = "Question: what is LoRA?\nAnswer:";
  s.completion = " A low-rank adapter.";
  auto e = builder().build(s);
  EXPECT_EQ(trained_text(e, *qwen().tokenizer), " A low-rank adapter.<|im_end|>");
  s.train_prompt = true;
  EXPECT_EQ(builder().build(s).trained_targets(), builder().build(s).ids.size() - 1);
}

TEST(Examples, TextTrainsWholeAndIsTruncated) {
  Sample s;
  s.kind = Sample::Kind::text;
  s.text = "Hello there, how are you today?";
  auto e = builder().build(s);
  EXPECT_EQ(trained_text(e, *qwen().tokenizer), s.text + "<|im_end|>");
  auto cut = builder({4}).build(s);
  EXPECT_EQ(cut.ids.size(), 4u);
  EXPECT_TRUE(cut.truncated);
}

TEST(Examples, SamplesLeftWithoutTrainedTokensAreReported) {
  auto set = builder({3}).build_all({conversation({turn(Role::user, "What is LoRA?"), turn(Role::assistant, "An adapter.", true)})});
  EXPECT_TRUE(set.examples.empty());
  EXPECT_EQ(set.untrained, std::vector<std::size_t>{0});
  EXPECT_EQ(set.truncated, 1u);
}

// Issue 28: one 200 MB record took 8-10 GB, tokenized whole before --max-length applied. A field is
// cut to what max_length tokens can cover first, and the tokens are those of the whole text.
TEST(Examples, AHugeRecordIsCutBeforeTokenizingAndGivesTheSameTokens) {
  Sample s;
  s.kind = Sample::Kind::text;
  std::string sentence = "Hello there, how are you today? ";
  for (int i = 0; i < 2000; ++i) s.text += sentence;
  auto b = builder({16});
  ASSERT_LT(b.text_budget(), s.text.size());
  auto cut = b.build(s);
  EXPECT_EQ(cut.ids.size(), 16u);
  EXPECT_TRUE(cut.truncated);
  const auto whole = qwen().tokenizer->encode_ids(s.text, true);
  EXPECT_EQ(cut.ids, std::vector<std::int32_t>(whole.begin(), whole.begin() + 16));
  // In a conversation too, and the cut is never inside a UTF-8 character.
  std::string long_reply;
  for (int i = 0; i < 20000; ++i) long_reply += "\xC3\xA9";  // é
  auto e = b.build(conversation({turn(Role::user, "What is LoRA?"), turn(Role::assistant, long_reply, true)}));
  EXPECT_EQ(e.ids.size(), 16u);
  EXPECT_TRUE(e.truncated);
}

// Issue 28: a record the tokenizer or the template refuses stopped the whole run (so --skip-invalid
// could not skip it); it is an invalid sample now and the others are built.
TEST(Examples, ARecordThatCannotBeBuiltIsListedAndTheOthersGoOn) {
  ExampleBuilder no_template(*qwen().tokenizer, nullptr, qwen().tokenizer->token_to_id("<|im_end|>"), {});
  Sample text;
  text.kind = Sample::Kind::text;
  text.text = "Hello there";
  text.source = {"data.jsonl", 2, 1};
  Sample chat = conversation({turn(Role::user, "Hi"), turn(Role::assistant, "Hello", true)});
  chat.source = {"data.jsonl", 1, 1};
  auto set = no_template.build_all({chat, text});
  ASSERT_EQ(set.invalid.size(), 1u);
  EXPECT_EQ(set.invalid[0].sample, 0u);
  EXPECT_EQ(set.invalid[0].message, "data.jsonl:1:1: a conversation, but the model has no chat template");
  EXPECT_EQ(set.examples.size(), 1u);
}

namespace {

Example example(std::vector<std::int32_t> ids) {
  Example e;
  e.trained.assign(ids.size(), 1);
  e.ids = std::move(ids);
  return e;
}

}  // namespace

TEST(Batches, ShuffleIsSeededAndAPermutation) {
  auto a = shuffled(100, 7), b = shuffled(100, 7), c = shuffled(100, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::sort(c.begin(), c.end());
  for (std::size_t i = 0; i < 100; ++i) EXPECT_EQ(c[i], i);
}

TEST(Batches, PaddedBatchesMaskPaddingAndFirstTokens) {
  std::vector<Example> examples{example({1, 2, 3}), example({4, 5})};
  auto batch = collate(examples, {{0}, {1}}, 0);
  EXPECT_TRUE(torch::equal(batch.input_ids, torch::tensor({1, 2, 3, 4, 5, 0}, torch::kInt64).view({2, 3})));
  EXPECT_TRUE(torch::equal(batch.labels, torch::tensor({-100, 2, 3, -100, 5, -100}, torch::kInt64).view({2, 3})));
  EXPECT_TRUE(torch::equal(batch.attention_mask, torch::tensor({1, 1, 1, 1, 1, 0}, torch::kInt64).view({2, 3})));
  EXPECT_FALSE(batch.segment_ids.defined());
  EXPECT_EQ(batch.targets, 3);
  EXPECT_EQ(batch.tokens, 5);
}

TEST(Batches, PackedRowsRestartPositionsAndSegments) {
  std::vector<Example> examples{example({1, 2, 3}), example({4, 5}), example({6, 7, 8, 9})};
  Batching packing{1, 6, true, false, 0};
  auto plan = plan_epoch(examples, packing, 0);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0], (MicroBatch{{0, 1}}));
  EXPECT_EQ(plan[1], (MicroBatch{{2}}));
  auto batch = collate(examples, {{0, 1}}, 0);
  EXPECT_TRUE(torch::equal(batch.position_ids, torch::tensor({0, 1, 2, 0, 1}, torch::kInt64).view({1, 5})));
  EXPECT_TRUE(torch::equal(batch.segment_ids, torch::tensor({0, 0, 0, 1, 1}, torch::kInt64).view({1, 5})));
  EXPECT_TRUE(torch::equal(batch.labels, torch::tensor({-100, 2, 3, -100, 5}, torch::kInt64).view({1, 5})))
      << "no example learns to predict its first token from the one before it";
}

TEST(Batches, LengthGroupingPutsSimilarLengthsTogether) {
  std::vector<Example> examples;
  for (int i = 0; i < 8; ++i) examples.push_back(example(std::vector<std::int32_t>(static_cast<std::size_t>(1 + (i * 5) % 8), 1)));
  Batching grouped{2, 100, false, true, 3};
  for (const auto& micro : plan_epoch(examples, grouped, 0)) {
    ASSERT_EQ(micro.size(), 2u);
    auto a = examples[micro[0][0]].ids.size(), b = examples[micro[1][0]].ids.size();
    EXPECT_LE(a > b ? a - b : b - a, 1u);
  }
  EXPECT_EQ(plan_epoch(examples, grouped, 1), plan_epoch(examples, grouped, 1));
  EXPECT_NE(plan_epoch(examples, grouped, 1), plan_epoch(examples, grouped, 2));
}
