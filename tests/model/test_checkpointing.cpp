// Gradient checkpointing of the decoder layers: the same outputs and gradients as without it (the
// same dropout masks replayed), inactive where it must be, and the memory it saves (informative).
#include <iostream>
#include <map>

#include <gtest/gtest.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "ftcore/nn/modules.hpp"
#include "handler_registry.hpp"
#include "model/init_model.hpp"

using namespace ftcore;
using nlohmann::json;

namespace {

/// A tiny random network of the family in training mode; `overrides` go over its config.
std::shared_ptr<nn::CausalLM> tiny_training_network(const std::string& family, const json& overrides = json::object()) {
  const auto& handler = *ftcore::testing::builtin_handlers().handler(family);
  TokenIds ids;
  ids.vocab_size = 64;
  auto config = handler.make_config(model::preset_size("tiny"), ids);
  config.update(overrides);
  auto network = handler.build(config);
  network->init_weights(7);
  network->train();
  return network;
}

/// Two rows, the second right-padded; distinct ids, so the embedding's gradient is that of the inputs.
nn::Batch batch() {
  nn::Batch b;
  b.input_ids = torch::arange(1, 13, torch::kInt64).view({2, 6});
  b.attention_mask = torch::tensor({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, torch::kInt64).view({2, 6});
  return b;
}

struct Step {
  torch::Tensor logits;
  std::map<std::string, torch::Tensor> grads;  ///< of the parameters that got one
  torch::Tensor next_random;                   ///< the CPU generator's next draw after backward
};

/// Logits and the gradients of sum(logits^2), the CPU generator seeded with `seed` first.
Step train_step(nn::CausalLM& network, bool checkpointing, std::uint64_t seed = 0, nn::KVCache* cache = nullptr) {
  network.set_gradient_checkpointing(checkpointing);
  network.zero_grad(/*set_to_none=*/true);
  torch::manual_seed(seed);
  Step step;
  auto logits = network.logits(network.hidden_states(batch(), cache));
  if (logits.requires_grad()) logits.pow(2).sum().backward();
  step.logits = logits.detach();
  for (const auto& item : network.named_parameters())
    if (item.value().grad().defined()) step.grads[item.key()] = item.value().grad().clone();
  step.next_random = torch::rand({4});
  return step;
}

void expect_same(const Step& plain, const Step& checkpointed) {
  EXPECT_TRUE(torch::equal(plain.logits, checkpointed.logits));
  EXPECT_TRUE(torch::equal(plain.next_random, checkpointed.next_random)) << "the recomputation moved the generator";
  ASSERT_EQ(plain.grads.size(), checkpointed.grads.size());
  double worst = 0;
  for (const auto& [name, grad] : plain.grads) {
    auto other = checkpointed.grads.find(name);
    ASSERT_NE(other, checkpointed.grads.end()) << name << " has no gradient with checkpointing";
    double diff = (grad - other->second).abs().max().item<double>();
    EXPECT_LE(diff, 1e-6) << name;
    worst = std::max(worst, diff);
  }
  std::cout << "  largest gradient difference: " << worst << "\n";
}

/// A linear layer as an adapter is one: it wraps the original, has a trainable parameter of its
/// own and applies dropout in training mode. Counts its forward calls.
class DropoutScaled : public nn::LinearLayer {
 public:
  DropoutScaled(std::shared_ptr<nn::LinearLayer> base, std::shared_ptr<int> calls)
      : base_(register_module("base_layer", std::move(base))), calls_(std::move(calls)) {
    scale = register_parameter("scale", torch::linspace(0.5, 1.5, base_->out_features()));
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    ++*calls_;
    return base_->forward(torch::dropout(x, 0.5, is_training())) * scale;
  }
  std::int64_t in_features() const override { return base_->in_features(); }
  std::int64_t out_features() const override { return base_->out_features(); }
  torch::Tensor scale;

 private:
  std::shared_ptr<nn::LinearLayer> base_;
  std::shared_ptr<int> calls_;
};

struct Wrapped {
  std::shared_ptr<int> calls = std::make_shared<int>(0);
  int sites = 0;
};

/// Every linear layer of the network wrapped in a DropoutScaled.
Wrapped wrap_every_linear(nn::CausalLM& network) {
  Wrapped w;
  for (const auto& site : network.linear_sites()) {
    site.owner->replace_linear(site.child, std::make_shared<DropoutScaled>(site.owner->linear(site.child), w.calls));
    ++w.sites;
  }
  return w;
}

const std::vector<std::string> kFamilies{"llama", "qwen2", "mistral", "gemma", "gpt2"};

}  // namespace

class Checkpointing : public ::testing::TestWithParam<std::string> {};

TEST_P(Checkpointing, GivesTheSameOutputsAndGradients) {
  auto network = tiny_training_network(GetParam());
  auto plain = train_step(*network, false);
  auto checkpointed = train_step(*network, true);
  EXPECT_TRUE(network->gradient_checkpointing());
  EXPECT_EQ(plain.grads.size(), network->parameters().size()) << "every parameter gets a gradient";
  expect_same(plain, checkpointed);
}

TEST_P(Checkpointing, ReplaysTheDropoutMaskOfASwappedInLayer) {
  auto network = tiny_training_network(GetParam());
  auto wrapped = wrap_every_linear(*network);
  auto plain = train_step(*network, false, 1);
  EXPECT_EQ(*wrapped.calls, wrapped.sites);
  *wrapped.calls = 0;
  auto checkpointed = train_step(*network, true, 1);
  EXPECT_EQ(*wrapped.calls, 2 * wrapped.sites) << "every layer is run again in backward";
  expect_same(plain, checkpointed);
  for (const auto& item : network->named_parameters())
    if (item.key().find(".scale") != std::string::npos) EXPECT_TRUE(checkpointed.grads.count(item.key())) << item.key();
  // Dropout is really drawn: another seed gives other logits.
  EXPECT_FALSE(torch::equal(train_step(*network, true, 2).logits, checkpointed.logits));
}

TEST_P(Checkpointing, TrainsAdaptersOfAFrozenModel) {
  // The frozen embedding gives the first layer an input without grad: the adapters' gradients
  // must still arrive.
  auto network = tiny_training_network(GetParam());
  for (auto& p : network->parameters()) p.requires_grad_(false);
  auto wrapped = wrap_every_linear(*network);
  auto plain = train_step(*network, false, 3);
  auto checkpointed = train_step(*network, true, 3);
  EXPECT_EQ(static_cast<int>(plain.grads.size()), wrapped.sites);
  expect_same(plain, checkpointed);
}

INSTANTIATE_TEST_SUITE_P(Handlers, Checkpointing, ::testing::ValuesIn(kFamilies),
                         [](const auto& info) { return info.param; });

TEST(CheckpointingInactive, InEvalModeUnderNoGradAndWithACache) {
  auto network = tiny_training_network("llama");
  auto wrapped = wrap_every_linear(*network);

  network->eval();
  auto plain = train_step(*network, false);
  *wrapped.calls = 0;
  auto eval = train_step(*network, true);
  EXPECT_EQ(*wrapped.calls, wrapped.sites) << "eval mode: no recomputation";
  expect_same(plain, eval);

  network->train();
  {
    torch::NoGradGuard no_grad;
    auto off = train_step(*network, false, 4);
    *wrapped.calls = 0;
    auto on = train_step(*network, true, 4);
    EXPECT_EQ(*wrapped.calls, wrapped.sites) << "no grad: no checkpoint";
    EXPECT_TRUE(torch::equal(off.logits, on.logits));
    EXPECT_TRUE(on.grads.empty());
  }

  nn::KVCache plain_cache, cache;
  auto off = train_step(*network, false, 5, &plain_cache);
  *wrapped.calls = 0;
  auto on = train_step(*network, true, 5, &cache);
  EXPECT_EQ(*wrapped.calls, wrapped.sites) << "a cache: no checkpoint";
  expect_same(off, on);
  EXPECT_EQ(cache.length(), 6);
}

TEST(CheckpointingMemory, KeepsOnlyTheLayerInputsUntilBackward) {
  // Informative: the heap in use after the forward (what autograd keeps for backward), measured
  // with glibc's mallinfo2, on an 8-layer tiny Llama with 4 x 256 tokens. Nothing is asserted.
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  auto network = tiny_training_network("llama", {{"num_hidden_layers", 8}});
  auto ids = torch::randint(0, 64, {4, 256}, torch::kInt64);
  auto in_use = [] {
    struct mallinfo2 info = mallinfo2();
    return static_cast<double>(info.uordblks + info.hblkhd) / (1 << 20);
  };
  for (bool on : {false, true}) {
    network->set_gradient_checkpointing(on);
    network->zero_grad(true);
    double before = in_use();
    auto loss = network->logits(network->hidden_states({ids})).pow(2).mean();
    double kept = in_use() - before;
    loss.backward();
    std::cout << "  checkpointing " << (on ? "on: " : "off:") << " kept after forward " << kept << " MiB\n";
    ::testing::Test::RecordProperty(on ? "kept_mib_checkpointing" : "kept_mib_plain", std::to_string(kept));
  }
#else
  GTEST_SKIP() << "needs glibc's mallinfo2";
#endif
}
