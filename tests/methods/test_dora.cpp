// The dora method (PEFT's LoRA with use_dora): magnitude init, the DoRA forward, saving and
// loading under PEFT's names, merging and unmerging. (Equality with peft: tests/parity.)
#include <fstream>

#include <gtest/gtest.h>

#include "ftcore/nn/io.hpp"
#include "lora/lora_layer.hpp"
#include "lora/lora_method.hpp"
#include "method_support.hpp"
#include "test_support.hpp"

using namespace ftcore;
using ftcore::testing::MapOptions;
using ftcore::testing::TempDir;
using ftcore::testing::error_of;
using ftcore::testing::facts;
using ftcore::testing::sample_logits;
using ftcore::testing::tiny_network;
using nlohmann::json;

namespace {

const methods::LoraMethod kDora(methods::LoraMethod::Variant::dora);
const methods::LoraMethod kLora;


torch::Tensor parameter(nn::CausalLM& network, const std::string& name) {
  for (const auto& item : network.named_parameters())
    if (item.key() == name) return item.value();
  ADD_FAILURE() << "no parameter " << name;
  return {};
}

/// Gives B and the magnitude values of their own, so that both parts of DoRA change the output.
void perturb(nn::CausalLM& network) {
  torch::NoGradGuard no_grad;
  for (const auto& item : network.named_parameters()) {
    if (item.key().find("lora_B") != std::string::npos) item.value().normal_(0, 0.5);
    if (item.key().find("lora_magnitude_vector") != std::string::npos) item.value().mul_(1.5);
  }
}

/// The DoRA output of one layer written out from the formula (interop.md section 2).
torch::Tensor dora_reference(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& a, const torch::Tensor& b,
                             const torch::Tensor& m, double scaling) {
  auto norm = (w + scaling * torch::matmul(b, a)).pow(2).sum(1).sqrt();
  auto s = (m / norm).view({1, -1});
  return torch::linear(x, w) + (s - 1) * torch::linear(x, w) + s * torch::linear(torch::linear(x, a), b) * scaling;
}

}  // namespace

TEST(Dora, MagnitudeStartsAtTheRowNormsAndTheOutputAtTheBaseModels) {
  for (const std::string name : {"llama", "gpt2"}) {
    auto network = tiny_network(name);
    auto before = sample_logits(*network);
    auto run = kDora.apply(*network, MapOptions({{"lora-r", "4"}}), facts(name));
    EXPECT_NE(run->summary().find("DoRA r=4"), std::string::npos) << run->summary();
    const std::string site = name == "gpt2" ? "transformer.h.0.attn.c_attn" : "model.layers.0.self_attn.q_proj";
    auto weight = parameter(*network, site + ".base_layer.weight");
    auto rows = name == "gpt2" ? weight.t() : weight;  // GPT-2's Conv1D stores [in, out]
    auto magnitude = parameter(*network, site + ".lora_magnitude_vector.weight");
    EXPECT_TRUE(magnitude.requires_grad());
    EXPECT_TRUE(torch::allclose(magnitude, rows.pow(2).sum(1).sqrt(), 1e-5, 1e-6)) << name;
    EXPECT_TRUE(torch::allclose(sample_logits(*network), before, 1e-5, 1e-5)) << name << ": s = 1 and B = 0 at the start";
  }
}

TEST(Dora, LayerFollowsTheFormula) {
  torch::manual_seed(3);
  auto base = std::make_shared<nn::Linear>(12, 10, false);
  torch::NoGradGuard no_grad;
  base->weight.normal_();
  methods::LoraSettings settings;
  settings.r = 3;
  settings.alpha = 6;
  settings.dora = true;
  methods::LoraLinear layer(base, settings);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(1);
  layer.reset(generator);
  layer.lora_B().normal_();
  layer.magnitude().mul_(torch::rand({10}) + 0.5);
  auto x = torch::randn({2, 5, 12});
  auto expected = dora_reference(x, base->weight, layer.lora_A(), layer.lora_B(), layer.magnitude(), 2.0);
  EXPECT_TRUE(torch::allclose(layer.forward(x), expected, 1e-5, 1e-5));
}

TEST(Dora, SavesPeftKeysAndLoadsBackByItsOwnMethod) {
  TempDir dir;
  auto network = tiny_network("llama");
  auto run = kDora.apply(*network, MapOptions({{"lora-r", "4"}}), facts("llama"));
  perturb(*network);
  auto adapted = sample_logits(*network);
  run->save(dir.path() / "lora", SaveInfo{});
  json config = json::parse(std::ifstream(dir.path() / "lora" / "adapter_config.json"));
  EXPECT_EQ(config["peft_type"], "LORA");
  EXPECT_EQ(config["use_dora"], true);
  auto tensors = nn::load_safetensors(dir.path() / "lora" / "adapter_model.safetensors");
  ASSERT_EQ(tensors.size(), 2u * 2u * 3u);  // 2 layers x {q_proj, v_proj} x {A, B, magnitude}
  EXPECT_EQ(tensors[2].first, "base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector");
  EXPECT_EQ(tensors[2].second.sizes(), (std::vector<std::int64_t>{64}));

  EXPECT_TRUE(kDora.recognises(dir.path() / "lora"));
  EXPECT_FALSE(kLora.recognises(dir.path() / "lora")) << "the lora method leaves DoRA adapters to dora";
  auto fresh = tiny_network("llama");
  kDora.load(*fresh, dir.path() / "lora", true);
  EXPECT_TRUE(torch::allclose(sample_logits(*fresh), adapted, 1e-6, 1e-6));
  EXPECT_TRUE(parameter(*fresh, "model.layers.1.self_attn.v_proj.lora_magnitude_vector.weight").requires_grad());

  // A DoRA adapter whose magnitude is missing or the wrong size is refused, naming the tensor.
  auto broken = tensors;
  broken.erase(broken.begin() + 2);
  nn::save_safetensors(dir.path() / "lora" / "adapter_model.safetensors", broken);
  EXPECT_NE(error_of([&] { kDora.load(*tiny_network("llama"), dir.path() / "lora", false); })
                .find("DoRA adapter without base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector"),
            std::string::npos);
  tensors[2].second = torch::ones({3});
  nn::save_safetensors(dir.path() / "lora" / "adapter_model.safetensors", tensors);
  EXPECT_NE(error_of([&] { kDora.load(*tiny_network("llama"), dir.path() / "lora", false); }).find("has shape [3]"),
            std::string::npos);
}

TEST(Dora, UseDoraOptionMakesTheLoraMethodDoRA) {
  auto network = tiny_network("llama");
  auto run = kLora.apply(*network, MapOptions({{"lora-r", "2"}, {"use-dora", "true"}}), facts("llama"));
  EXPECT_NE(run->summary().find("DoRA r=2"), std::string::npos) << run->summary();
  EXPECT_EQ(kDora.name(), "dora");
  EXPECT_EQ(kDora.defaults().front(), (std::pair<std::string, std::string>{"learning-rate", "1e-4"}));
}

TEST(Dora, MergeAndUnmergeKeepTheOutput) {
  for (const std::string name : {"llama", "gpt2"}) {
    auto network = tiny_network(name);
    auto run = kDora.apply(*network, MapOptions({{"lora-r", "4"}, {"target-modules", "all-linear"}}), facts(name));
    perturb(*network);
    const std::string site = name == "gpt2" ? "transformer.h.0.mlp.c_fc" : "model.layers.0.mlp.up_proj";
    const auto original = parameter(*network, site + ".base_layer.weight").detach().clone();
    const auto adapted = sample_logits(*network);
    run->merge_adapter();
    EXPECT_TRUE(torch::allclose(sample_logits(*network), adapted, 1e-4, 1e-4)) << name;
    run->unmerge_adapter();
    EXPECT_TRUE(torch::allclose(parameter(*network, site + ".base_layer.weight"), original, 1e-5, 1e-5)) << name;
    EXPECT_TRUE(torch::allclose(sample_logits(*network), adapted, 1e-5, 1e-5)) << name;
    run->merge();
    EXPECT_TRUE(torch::allclose(sample_logits(*network), adapted, 1e-4, 1e-4)) << name << ": merged for good";
    for (const auto& item : network->named_parameters()) EXPECT_EQ(item.key().find("lora_"), std::string::npos) << item.key();
  }
}
