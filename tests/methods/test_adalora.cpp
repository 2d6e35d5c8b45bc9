// The adalora method (PEFT 0.13's AdaLoRA): the layer's formula and names, the allocator's budget
// and masks driven step by step, the orthogonality penalty, saving truncated as PEFT does and
// loading back, the allocator state in checkpoints, and the refusals. (Equality with peft's
// update_and_allocate over ten steps: tests/parity, test_adalora_parity.)
#include <algorithm>
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "adalora/adalora_layer.hpp"
#include "adalora/adalora_method.hpp"
#include "ftcore/nn/io.hpp"
#include "method_support.hpp"
#include "test_support.hpp"

using namespace ftcore;
using ftcore::testing::MapOptions;
using ftcore::testing::TempDir;
using ftcore::testing::error_of;
using ftcore::testing::facts;
using ftcore::testing::sample_logits;
using ftcore::testing::tiny_network;
using ftcore::testing::trainable_names;
using nlohmann::json;

namespace {

const methods::AdaLoraMethod kAdaLora;

MapOptions small() {
  return MapOptions({{"lora-r", "4"}, {"adalora-target-r", "2"}, {"lora-alpha", "8"}, {"adalora-tinit", "1"},
                     {"adalora-tfinal", "2"}, {"target-modules", "q_proj,v_proj"}});
}

/// Gives every adapter parameter a seeded gradient and E seeded values, as a backward pass would.
void fake_gradients(nn::CausalLM& network, std::uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (auto& item : network.named_parameters())
    if (item.value().requires_grad()) item.value().mutable_grad() = torch::randn(item.value().sizes(), gen);
}

json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  return json::parse(in);
}

std::int64_t kept(const json& pattern) {
  std::int64_t n = 0;
  for (const auto& row : pattern)
    for (const auto& v : row) n += v.get<bool>();
  return n;
}

}  // namespace

TEST(AdaLora, LayerFollowsPeftsFormulaAndNames) {
  auto network = tiny_network("llama");
  const auto before = sample_logits(*network);
  kAdaLora.apply(*network, small(), facts("llama"));
  EXPECT_TRUE(torch::equal(sample_logits(*network), before)) << "E starts at zero";
  auto names = trainable_names(*network);
  ASSERT_EQ(names.size(), 12U);  // 2 layers x q, v x A, B, E
  EXPECT_EQ(names[0], "model.layers.0.self_attn.q_proj.lora_A");
  EXPECT_EQ(names[1], "model.layers.0.self_attn.q_proj.lora_B");
  EXPECT_EQ(names[2], "model.layers.0.self_attn.q_proj.lora_E");

  nn::Linear dense(16, 8, false);
  {
    torch::NoGradGuard no_grad;
    dense.weight.normal_();
  }
  auto base = std::make_shared<nn::Linear>(dense);
  methods::AdaLoraLinear layer(base, 3, 5, 8.0, 0.0);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  {
    torch::NoGradGuard no_grad;
    layer.lora_A.normal_(0, 1, gen);
    layer.lora_B.normal_(0, 1, gen);
    layer.lora_E.normal_(0, 1, gen);
  }
  auto x = torch::randn({2, 16}, gen);
  // scaling = lora_alpha (not alpha / r), divided by ranknum + 1e-5 with ranknum the initial rank.
  auto expected = torch::linear(x, dense.weight) +
                  torch::matmul(torch::matmul(x, (layer.lora_A * layer.lora_E).t()), layer.lora_B.t()) * 8.0 / (5 + 1e-5);
  EXPECT_TRUE(torch::allclose(layer.forward(x), expected, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(layer.delta_weight(), torch::matmul(layer.lora_B, layer.lora_A * layer.lora_E) * 8.0 / (5 + 1e-5)));
}

TEST(AdaLora, AllocatorFollowsTheCubicBudgetAndSavesAsPeft) {
  TempDir dir;
  auto network = tiny_network("llama");
  auto run = kAdaLora.apply(*network, small(), facts("llama"));
  run->begin_training(10);  // budget 16 -> 8 over steps 1..8, final pattern from step 8 (10 - tfinal)
  // PEFT's schedule for init 16, target 8, tinit 1, tfinal 2, total 10 (global steps 0..9):
  // no mask at 0 and 1, then int(8 * (1 - (t - 1) / 7)^3 + 8) = 13, 11, 10, 9, 8, 8, forced 8 at 8, fixed at 9.
  const std::vector<std::int64_t> budgets{-1, -1, 13, 11, 10, 9, 8, 8, 8, 8};
  for (std::int64_t step = 1; step <= 10; ++step) {
    fake_gradients(*network, static_cast<std::uint64_t>(step));
    run->after_step(step);
    run->save_training_state(dir.path());
    const auto pattern = read_json(dir.path() / "adalora_state.json")["rank_pattern"];
    if (budgets[step - 1] < 0) {
      EXPECT_TRUE(pattern.is_null()) << "step " << step;
      continue;
    }
    ASSERT_FALSE(pattern.is_null()) << "step " << step;
    EXPECT_GE(kept(pattern), 1);
    EXPECT_LE(kept(pattern), budgets[step - 1]) << "step " << step;  // ties at the threshold are pruned too
    // Pruned triplets have E = 0.
    std::size_t site = 0;
    for (const auto& item : network->named_parameters()) {
      if (item.key().find("lora_E") == std::string::npos) continue;
      for (std::int64_t r = 0; r < 4; ++r)
        if (!pattern[site][r].get<bool>()) EXPECT_EQ(item.value()[r][0].item<float>(), 0.0F) << item.key();
      ++site;
    }
  }
  const auto final_pattern = read_json(dir.path() / "adalora_state.json")["rank_pattern"];
  EXPECT_EQ(kept(final_pattern), 8);

  run->save(dir.path() / "adapter", SaveInfo{});
  auto config = read_json(dir.path() / "adapter" / "adapter_config.json");
  EXPECT_EQ(config.size(), 33U);
  EXPECT_EQ(config["peft_type"], "ADALORA");
  EXPECT_EQ(config["init_r"], 4);
  EXPECT_EQ(config["target_r"], 2);
  EXPECT_EQ(config["total_step"], 10);
  ASSERT_TRUE(config["rank_pattern"].contains("model.layers.0.self_attn.q_proj.lora_E"));
  const auto tensors = nn::load_safetensors(dir.path() / "adapter" / "adapter_model.safetensors");
  std::map<std::string, torch::Tensor> by_name(tensors.begin(), tensors.end());
  const auto q_kept = kept(json::array({config["rank_pattern"]["model.layers.0.self_attn.q_proj.lora_E"]}));
  EXPECT_EQ(by_name.at("base_model.model.model.layers.0.self_attn.q_proj.lora_A").sizes(), torch::IntArrayRef({q_kept, 64}));
  EXPECT_EQ(by_name.at("base_model.model.model.layers.0.self_attn.q_proj.lora_E").sizes(), torch::IntArrayRef({q_kept, 1}));
  EXPECT_EQ(by_name.at("base_model.model.model.layers.0.self_attn.q_proj.lora_B").size(1), q_kept);

  // Loaded back (truncated, ranknum the initial rank): the same outputs.
  const auto logits = sample_logits(*network);
  ASSERT_TRUE(kAdaLora.recognises(dir.path() / "adapter"));
  auto fresh = tiny_network("llama");
  kAdaLora.load(*fresh, dir.path() / "adapter", false);
  EXPECT_LE((sample_logits(*fresh) - logits).abs().max().item<double>(), 1e-5);
}

TEST(AdaLora, MergeFoldsTheUpdateIntoTheBaseWeights) {
  for (const std::string name : {"llama", "gpt2"}) {  // gpt2: Conv1D weights stored [in, out]
    auto network = tiny_network(name);
    auto run = kAdaLora.apply(*network, MapOptions({{"lora-r", "4"}, {"adalora-target-r", "2"}, {"target-modules", "all-linear"}}),
                              facts(name));
    fake_gradients(*network, 3);
    {
      torch::NoGradGuard no_grad;
      for (auto& item : network->named_parameters())
        if (item.key().find("lora_") != std::string::npos) item.value().copy_(item.value().grad() * 0.5);
    }
    const auto adapted = sample_logits(*network);
    run->merge();
    for (auto& site : network->linear_sites())
      EXPECT_TRUE(std::dynamic_pointer_cast<nn::Linear>(site.owner->linear(site.child))) << name << " " << site.name;
    EXPECT_LE((sample_logits(*network) - adapted).abs().max().item<double>(), 1e-4) << name;
  }
}

TEST(AdaLora, OrthogonalityPenaltyIsPeftsMeanOfFrobeniusNorms) {
  auto network = tiny_network("llama");
  auto run = kAdaLora.apply(*network, small(), facts("llama"));
  double expected = 0;
  std::int64_t count = 0;
  for (auto& item : network->named_parameters()) {
    const auto& p = item.value();
    if (item.key().find("lora_A") != std::string::npos) {
      expected += (torch::matmul(p, p.t()) - torch::eye(4)).pow(2).sum().sqrt().item<double>();
      ++count;
    } else if (item.key().find("lora_B") != std::string::npos) {
      expected += (torch::matmul(p.t(), p) - torch::eye(4)).pow(2).sum().sqrt().item<double>();
      ++count;
    }
  }
  const double value = run->add_regularizer_gradients(1.0);
  EXPECT_NEAR(value, 0.5 * expected / static_cast<double>(count), 1e-5);
  for (auto& item : network->named_parameters()) {
    if (item.key().find("lora_A") != std::string::npos) EXPECT_TRUE(item.value().grad().defined()) << item.key();
    if (item.key().find("lora_E") != std::string::npos) EXPECT_FALSE(item.value().grad().defined()) << item.key();
  }
}

TEST(AdaLora, TrainingStateRoundTripsAndIsChecked) {
  TempDir dir;
  auto network = tiny_network("llama");
  auto run = kAdaLora.apply(*network, small(), facts("llama"));
  run->begin_training(10);
  for (std::int64_t step = 1; step <= 4; ++step) {
    fake_gradients(*network, static_cast<std::uint64_t>(step));
    run->after_step(step);
  }
  run->save_training_state(dir.path());
  auto again = tiny_network("llama");
  auto resumed = kAdaLora.apply(*again, small(), facts("llama"));
  resumed->begin_training(10);
  resumed->load_training_state(dir.path());
  TempDir copy;
  resumed->save_training_state(copy.path());
  EXPECT_EQ(read_json(copy.path() / "adalora_state.json"), read_json(dir.path() / "adalora_state.json"));
  auto other = tiny_network("llama");
  auto mismatched = kAdaLora.apply(*other, MapOptions({{"lora-r", "4"}, {"adalora-target-r", "2"}, {"target-modules", "q_proj"}}),
                                   facts("llama"));
  EXPECT_NE(error_of([&] { mismatched->load_training_state(dir.path()); }).find("does not fit"), std::string::npos);
  TempDir empty;
  EXPECT_NE(error_of([&] { resumed->load_training_state(empty.path()); }).find("no AdaLoRA allocator state"), std::string::npos);
}

TEST(AdaLora, RefusesWhatCannotWork) {
  auto network = tiny_network("llama");
  auto with = [](std::initializer_list<std::pair<const std::string, std::string>> extra) {
    MapOptions options = small();
    for (const auto& [k, v] : extra) options.set(k, v);
    return options;
  };
  EXPECT_NE(error_of([&] { kAdaLora.apply(*network, with({{"use-dora", "true"}}), facts("llama")); }).find("no DoRA"),
            std::string::npos);
  EXPECT_NE(error_of([&] { kAdaLora.apply(*network, with({{"adalora-target-r", "9"}}), facts("llama")); })
                .find("must be between 1 and --adalora-init-r (4)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { kAdaLora.apply(*network, with({{"adalora-orth-reg-weight", "0"}}), facts("llama")); })
                .find("greater than 0"),
            std::string::npos);
  EXPECT_NE(error_of([&] { kAdaLora.apply(*network, with({{"load-in-8bit", "true"}}), facts("llama")); }).find("dense base"),
            std::string::npos);
  EXPECT_NE(error_of([&] { kAdaLora.apply(*network, with({{"adalora-beta1", "1"}}), facts("llama")); }).find("--adalora-beta1 must be in (0, 1)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { kAdaLora.apply(*network, with({{"adalora-delta-t", "0"}}), facts("llama")); }).find("--adalora-delta-t must be at least 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { kAdaLora.apply(*network, with({{"adalora-tinit", "-1"}}), facts("llama")); }).find("must not be negative"),
            std::string::npos);
  EXPECT_NE(error_of([&] { kAdaLora.apply(*network, with({{"modules-to-save", "lm_head"}}), facts("llama")); })
                .find("not available with --method adalora"),
            std::string::npos);
  for (const auto& item : network->named_parameters())
    EXPECT_EQ(item.key().find("lora_"), std::string::npos) << "nothing changed by the refusals: " << item.key();
  auto run = kAdaLora.apply(*network, small(), facts("llama"));
  EXPECT_NE(error_of([&] { run->begin_training(0); }).find("needs the total number of optimizer steps"), std::string::npos);
  EXPECT_NE(error_of([&] { run->begin_training(3); }).find("leave no steps to allocate ranks"), std::string::npos);
}

TEST(AdaLora, LoadRefusesAnAdapterThatDoesNotFit) {
  TempDir dir;
  auto network = tiny_network("llama");
  kAdaLora.apply(*network, small(), facts("llama"))->save(dir.path(), SaveInfo{});
  const auto file = dir.path() / "adapter_model.safetensors";
  const auto original = nn::load_safetensors(file);
  auto rewrite = [&](const std::function<void(nn::NamedTensors&)>& change) {
    auto tensors = original;
    change(tensors);
    nn::save_safetensors(file, tensors);
  };
  rewrite([](nn::NamedTensors& t) {
    for (auto& [name, tensor] : t)
      if (name == "base_model.model.model.layers.0.self_attn.q_proj.lora_E") tensor = torch::zeros({3, 1});
  });
  const auto shape = error_of([&] { kAdaLora.load(*tiny_network("llama"), dir.path(), false); });
  EXPECT_NE(shape.find("q_proj.lora_E has shape [3, 1]"), std::string::npos) << shape;
  EXPECT_NE(shape.find("needs [4, 1]"), std::string::npos) << shape;
  rewrite([](nn::NamedTensors& t) { t.emplace_back("base_model.model.model.norm.weight", torch::ones({64})); });
  EXPECT_NE(error_of([&] { kAdaLora.load(*tiny_network("llama"), dir.path(), false); })
                .find("tensor base_model.model.model.norm.weight matches no AdaLoRA layer"),
            std::string::npos);
  rewrite([](nn::NamedTensors& t) {
    t.erase(std::remove_if(t.begin(), t.end(), [](const auto& e) { return e.first.find("q_proj.lora_B") != std::string::npos; }),
            t.end());
  });
  EXPECT_NE(error_of([&] { kAdaLora.load(*tiny_network("llama"), dir.path(), false); }).find("without its lora_B and lora_E"),
            std::string::npos);
  std::ofstream(dir.path() / "adapter_config.json") << R"({"peft_type": "ADALORA", "init_r": "four"})";
  EXPECT_NE(error_of([&] { kAdaLora.load(*tiny_network("llama"), dir.path(), false); }).find("has the wrong type"),
            std::string::npos);
}
