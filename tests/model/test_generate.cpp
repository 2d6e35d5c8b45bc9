// Generation: greedy and sampled picks, stop conditions, streaming, and cache reuse.
#include <gtest/gtest.h>

#include "generate/generator.hpp"
#include "handler_registry.hpp"
#include "model/init_model.hpp"

using namespace ftcore;

namespace {

std::shared_ptr<nn::CausalLM> network() {
  static auto net = [] {
    TokenIds ids;
    ids.vocab_size = 256;
    auto config = ftcore::testing::builtin_handlers().handler("llama")->make_config(model::preset_size("tiny"), ids);
    auto n = ftcore::testing::builtin_handlers().handler("llama")->build(config);
    n->init_weights(11);
    n->eval();
    return n;
  }();
  return net;
}

generate::Result run(const generate::Sampling& sampling, std::vector<std::string>* pieces = nullptr) {
  nn::KVCache cache;
  return generate::generate(*network(), ftcore::testing::byte_tokenizer(), {72, 101, 108, 108, 111}, sampling, cache,
                            [&](const std::string& piece) {
                              if (pieces) pieces->push_back(piece);
                            });
}

}  // namespace

TEST(Pick, GreedyTakesTheLargestAndTopKOneAgrees) {
  auto logits = torch::tensor({0.1f, 2.0f, -1.0f, 1.9f});
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  generate::Sampling greedy;
  EXPECT_EQ(generate::pick(logits, greedy, gen), 1);
  generate::Sampling top1;
  top1.temperature = 5.0;
  top1.top_k = 1;
  for (int i = 0; i < 20; ++i) EXPECT_EQ(generate::pick(logits, top1, gen), 1);
}

TEST(Pick, TopPKeepsTheSmallestSetReachingP) {
  auto logits = torch::log(torch::tensor({0.5f, 0.3f, 0.15f, 0.05f}));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  generate::Sampling s;
  s.temperature = 1.0;
  s.top_p = 0.7;  // 0.5 + 0.3 reach it: token 2 and 3 never drawn
  std::set<std::int64_t> seen;
  for (int i = 0; i < 300; ++i) seen.insert(generate::pick(logits, s, gen));
  EXPECT_EQ(seen, (std::set<std::int64_t>{0, 1}));
}

TEST(Pick, RejectsBadSettings) {
  generate::Sampling s;
  s.top_p = 0;
  EXPECT_THROW(generate::check(s), std::invalid_argument);
  s = {};
  s.temperature = -1;
  EXPECT_THROW(generate::check(s), std::invalid_argument);
  s = {};
  s.max_new_tokens = 0;
  EXPECT_THROW(generate::check(s), std::invalid_argument);
}

TEST(Generate, GreedyIsDeterministicAndStreamsItsText) {
  generate::Sampling s;
  s.max_new_tokens = 12;
  std::vector<std::string> pieces;
  auto a = run(s, &pieces);
  auto b = run(s);
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.ids.size(), 12u);
  EXPECT_EQ(a.stop_reason, "max tokens");
  std::string streamed;
  for (const auto& p : pieces) streamed += p;
  EXPECT_EQ(streamed, a.text);
  EXPECT_EQ(a.cached.size(), 5u + 11u);  // the last token is never fed back
}

TEST(Generate, SamplingDependsOnTheSeedOnly) {
  generate::Sampling s;
  s.max_new_tokens = 16;
  s.temperature = 1.5;
  s.seed = 5;
  EXPECT_EQ(run(s).ids, run(s).ids);
  s.seed = 6;
  auto other = run(s).ids;
  s.seed = 5;
  EXPECT_NE(run(s).ids, other);
}

TEST(Generate, StopsAtEosAndAtStopStrings) {
  generate::Sampling s;
  s.max_new_tokens = 12;
  auto free = run(s);
  ASSERT_GE(free.ids.size(), 4u);
  s.eos_ids = {free.ids[3]};
  auto at_eos = run(s);
  EXPECT_EQ(at_eos.stop_reason, "eos");
  EXPECT_EQ(at_eos.ids, std::vector<std::int32_t>(free.ids.begin(), free.ids.begin() + 3));

  s.eos_ids.clear();
  std::string stop = free.text.substr(2, 2);
  s.stop_strings = {stop};
  std::vector<std::string> pieces;
  auto at_stop = run(s, &pieces);
  EXPECT_EQ(at_stop.stop_reason, "stop string");
  EXPECT_EQ(at_stop.text, free.text.substr(0, free.text.find(stop)));
  std::string streamed;
  for (const auto& p : pieces) streamed += p;
  EXPECT_EQ(streamed, at_stop.text) << "the stop string must not be streamed";
}

TEST(Generate, ReusesACacheHoldingAPrefixOfThePrompt) {
  generate::Sampling s;
  s.max_new_tokens = 6;
  nn::KVCache fresh;
  std::vector<std::int32_t> prompt{72, 101, 108, 108, 111, 32, 119};
  auto expected = generate::generate(*network(), ftcore::testing::byte_tokenizer(), prompt, s, fresh);

  nn::KVCache cache;
  auto first = generate::generate(*network(), ftcore::testing::byte_tokenizer(), {72, 101, 108, 99}, s, cache);
  generate::truncate(cache, static_cast<std::int64_t>(generate::common_prefix(first.cached, prompt)));
  EXPECT_EQ(cache.length(), 3);
  auto reused = generate::generate(*network(), ftcore::testing::byte_tokenizer(), prompt, s, cache);
  EXPECT_EQ(reused.ids, expected.ids);
}
