// The qlora method and --load-in-8bit: every decoder linear layer quantised (embeddings and the
// output head not), LoRA on top training through the dequantised weights, the PEFT adapter as
// lora writes it, and the errors of what cannot work. Also --layers-to-transform.
#include <fstream>

#include <gtest/gtest.h>

#include "ftcore/nn/quant.hpp"
#include "full/full_method.hpp"
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
using ftcore::testing::trainable_names;
using nlohmann::json;

namespace {

const methods::LoraMethod kQlora(methods::LoraMethod::Variant::qlora);
const methods::LoraMethod kLora;

/// The base layer of every linear site, unwrapping LoRA.
std::vector<std::shared_ptr<nn::LinearLayer>> bases(nn::CausalLM& network) {
  std::vector<std::shared_ptr<nn::LinearLayer>> out;
  for (auto& site : network.linear_sites()) {
    auto layer = site.owner->linear(site.child);
    if (auto lora = std::dynamic_pointer_cast<methods::LoraLinear>(layer)) layer = lora->base();
    out.push_back(layer);
  }
  return out;
}

/// Mean next-token loss on a fixed batch.
torch::Tensor loss_of(nn::CausalLM& network) {
  nn::Batch batch;
  batch.input_ids = torch::tensor({3, 14, 15, 9, 26, 5, 35, 8, 9, 7}, torch::kInt64).view({2, 5});
  auto logits = network.logits(network.hidden_states(batch));
  return torch::nn::functional::cross_entropy(logits.slice(1, 0, 4).reshape({-1, logits.size(-1)}),
                                              batch.input_ids.slice(1, 1).reshape({-1}));
}

json read_config(const std::filesystem::path& dir) {
  std::ifstream in(dir / "adapter_config.json");
  return json::parse(in);
}

}  // namespace

TEST(Qlora, QuantisesEveryDecoderLinearLayerAndKeepsTheOutputClose) {
  for (const std::string name : {"llama", "gpt2"}) {
    auto network = tiny_network(name);
    const auto before = sample_logits(*network);
    const auto embed_dtype = network->dtype();
    auto run = kQlora.apply(*network, MapOptions({{"lora-r", "4"}, {"target-modules", "all-linear"}}), facts(name));
    for (const auto& base : bases(*network)) {
      auto quantised = std::dynamic_pointer_cast<nn::quant::QuantizedLinear>(base);
      ASSERT_TRUE(quantised) << name;
      EXPECT_EQ(quantised->weight().format, nn::quant::Format::nf4);
      EXPECT_TRUE(quantised->weight().double_quant);
    }
    EXPECT_EQ(network->dtype(), embed_dtype) << "embeddings stay";
    // B starts at zero: the output is the quantised base's, close to the dense one.
    const auto after = sample_logits(*network);
    EXPECT_LE((after - before).abs().max().item<double>(), 0.1 * before.abs().max().item<double>()) << name;
    EXPECT_GT((after - before).abs().max().item<double>(), 0.0) << name;
    EXPECT_NE(run->summary().find("in nf4 with double quantisation, 4.1"), std::string::npos) << run->summary();
    for (const auto& trainable : trainable_names(*network))
      EXPECT_TRUE(trainable.find("lora_A") != std::string::npos || trainable.find("lora_B") != std::string::npos) << trainable;
  }
}

/// The loss after 30 AdamW steps of LoRA r=8 on every linear layer.
double trained_loss(const methods::LoraMethod& method, const std::string& quant_type, double* first) {
  auto network = tiny_network("llama");
  network->train();
  method.apply(*network, MapOptions({{"lora-r", "8"}, {"target-modules", "all-linear"}, {"bnb-4bit-quant-type", quant_type}}),
               facts("llama"));
  std::vector<torch::Tensor> params;
  for (auto& p : network->parameters())
    if (p.requires_grad()) params.push_back(p);
  torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(1e-2));
  *first = loss_of(*network).item<double>();
  for (int step = 0; step < 30; ++step) {
    optimizer.zero_grad();
    loss_of(*network).backward();
    optimizer.step();
  }
  return loss_of(*network).item<double>();
}

TEST(Qlora, TrainsThroughTheQuantisedBaseAsLoraDoesThroughTheDenseOne) {
  double first = 0, dense_first = 0;
  const double dense = trained_loss(kLora, "nf4", &dense_first);
  EXPECT_LT(dense, 0.75 * dense_first);
  for (const std::string type : {"nf4", "fp4"}) {
    const double quantised = trained_loss(kQlora, type, &first);
    EXPECT_NEAR(first, dense_first, 0.05 * dense_first) << type;
    EXPECT_LT(quantised, 0.75 * first) << type;
    EXPECT_NEAR(quantised, dense, 0.05 * dense) << type;
  }
}

TEST(Qlora, SavesTheSameLoraAdapterThatLoraLoadsOnADenseBase) {
  TempDir dir;
  auto network = tiny_network("llama");
  auto run = kQlora.apply(*network, MapOptions({{"lora-r", "4"}}), facts("llama"));
  run->save(dir.path() / "lora", SaveInfo{});
  auto config = read_config(dir.path() / "lora");
  EXPECT_EQ(config["peft_type"], "LORA");
  EXPECT_EQ(config["target_modules"], json({"q_proj", "v_proj"}));
  EXPECT_FALSE(kQlora.recognises(dir.path() / "lora")) << "lora loads it";
  EXPECT_TRUE(kLora.recognises(dir.path() / "lora"));
  auto dense = tiny_network("llama");
  kLora.load(*dense, dir.path() / "lora", false);
  EXPECT_NE(error_of([&] { run->merge(); }).find("quantised base"), std::string::npos);
  EXPECT_FALSE(config["fan_in_fan_out"].get<bool>());
  // GPT-2's Conv1D layers store [in, out]; quantised, the adapter still says so, as PEFT does.
  auto gpt2 = tiny_network("gpt2");
  kQlora.apply(*gpt2, MapOptions({{"lora-r", "4"}}), facts("gpt2"))->save(dir.path() / "gpt2", SaveInfo{});
  EXPECT_TRUE(read_config(dir.path() / "gpt2")["fan_in_fan_out"].get<bool>());
}

TEST(Qlora, LoadIn8bitGivesLoraAndDoraAnInt8Base) {
  for (const std::string dora : {"false", "true"}) {
    auto network = tiny_network("llama");
    const auto before = sample_logits(*network);
    auto run = kLora.apply(*network, MapOptions({{"lora-r", "4"}, {"load-in-8bit", "true"}, {"use-dora", dora}}),
                           facts("llama"));
    for (const auto& base : bases(*network))
      EXPECT_EQ(std::dynamic_pointer_cast<nn::quant::QuantizedLinear>(base)->weight().format, nn::quant::Format::int8);
      EXPECT_NE(run->summary().find("14 linear layers in int8, 8.4"), std::string::npos) << run->summary();
    EXPECT_LE((sample_logits(*network) - before).abs().max().item<double>(), 0.02 * before.abs().max().item<double>());
  }
}

TEST(Qlora, RefusesWhatCannotWork) {
  auto family = facts("llama");
  family.quantizable = false;
  auto network = tiny_network("llama");
  EXPECT_NE(error_of([&] { kQlora.apply(*network, MapOptions({{"lora-r", "4"}}), family); }).find("does not allow a quantised base"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              kQlora.apply(*network, MapOptions({{"lora-r", "4"}, {"load-in-8bit", "true"}}), facts("llama"));
            }).find("contradict"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              kQlora.apply(*network, MapOptions({{"lora-r", "4"}, {"lora-bias", "all"}}), facts("llama"));
            }).find("--lora-bias none"),
            std::string::npos);
  EXPECT_NE(error_of([&] { methods::FullMethod().apply(*network, MapOptions({{"load-in-8bit", "true"}}), facts("llama")); })
                .find("--method full trains them"),
            std::string::npos);
  // Nothing was changed by the refusals.
  for (const auto& base : bases(*network)) EXPECT_TRUE(std::dynamic_pointer_cast<nn::Linear>(base));
  // A layer that is not a plain Linear (here: already an adapter) cannot be quantised.
  auto wrapped = tiny_network("llama");
  kLora.apply(*wrapped, MapOptions({{"lora-r", "2"}}), facts("llama"));
  EXPECT_NE(error_of([&] { kQlora.apply(*wrapped, MapOptions({{"lora-r", "2"}}), facts("llama")); })
                .find("is not a plain linear layer"),
            std::string::npos);
}

TEST(LayersToTransform, AdaptsOnlyTheListedLayersAndRecordsThem) {
  TempDir dir;
  auto network = tiny_network("llama");
  auto run = kLora.apply(*network, MapOptions({{"lora-r", "2"}, {"target-modules", "q_proj,v_proj"}, {"layers-to-transform", "1"}}),
                         facts("llama"));
  auto names = trainable_names(*network);
  ASSERT_EQ(names.size(), 4U);
  for (const auto& name : names) EXPECT_NE(name.find("layers.1."), std::string::npos) << name;
  run->save(dir.path() / "a", SaveInfo{});
  auto config = read_config(dir.path() / "a");
  EXPECT_EQ(config["layers_to_transform"], json({1}));
  EXPECT_TRUE(config["layers_pattern"].is_null());
  // With a pattern: gpt2's blocks are transformer.h.N.
  auto gpt2 = tiny_network("gpt2");
  kLora.apply(*gpt2, MapOptions({{"lora-r", "2"}, {"target-modules", "c_attn"}, {"layers-to-transform", "0"}, {"layers-pattern", "h"}}),
              facts("gpt2"));
  auto gpt2_names = trainable_names(*gpt2);
  ASSERT_EQ(gpt2_names.size(), 2U);
  EXPECT_NE(gpt2_names[0].find("transformer.h.0.attn.c_attn"), std::string::npos) << gpt2_names[0];
}

TEST(LayersToTransform, RefusesBadIndicesAndARegex) {
  auto network = tiny_network("llama");
  EXPECT_NE(error_of([&] { kLora.apply(*network, MapOptions({{"lora-r", "2"}, {"layers-to-transform", "7"}}), facts("llama")); })
                .find("this model has no layer 7 (its decoder layers are 0-1)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { kLora.apply(*network, MapOptions({{"lora-r", "2"}, {"layers-to-transform", "x"}}), facts("llama")); })
                .find("'x' is not a layer index"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              kLora.apply(*network, MapOptions({{"lora-r", "2"}, {"layers-to-transform", "0"}, {"target-modules", ".*q_proj"}}),
                          facts("llama"));
            }).find("does not combine with a regular expression"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              kLora.apply(*network, MapOptions({{"lora-r", "2"}, {"layers-to-transform", "0"}, {"layers-pattern", "lay.rs"}}),
                          facts("llama"));
            }).find("--layers-pattern 'lay.rs' must be a plain module name"),
            std::string::npos);
}
