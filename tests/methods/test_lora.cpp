// The lora method: targets, PEFT's init and scaling, saving and loading PEFT adapters, merging and
// unmerging.
// (Equality with peft itself is tests/parity/test_lora_parity.cpp.)
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
using ftcore::testing::trainable_names;
using nlohmann::json;

namespace {

const methods::LoraMethod kLora;



/// B is zero after init: give it values so that the adapter changes the output.
void perturb(nn::CausalLM& network) {
  torch::NoGradGuard no_grad;
  for (const auto& item : network.named_parameters())
    if (item.key().find("lora_B") != std::string::npos) item.value().normal_(0, 0.5);
}


}  // namespace

TEST(Lora, DefaultTargetsAreTheFamilysAndOnlyAdaptersTrain) {
  auto network = tiny_network("llama");
  auto before = sample_logits(*network);
  auto run = kLora.apply(*network, MapOptions({{"lora-r", "4"}}), facts("llama"));
  auto names = trainable_names(*network);
  EXPECT_EQ(names.size(), 2u * 2u * 2u);  // 2 layers x {q_proj, v_proj} x {A, B}
  EXPECT_EQ(names[0], "model.layers.0.self_attn.q_proj.lora_A.weight");
  EXPECT_EQ(names[1], "model.layers.0.self_attn.q_proj.lora_B.weight");
  EXPECT_TRUE(torch::allclose(sample_logits(*network), before)) << "B starts at zero: the output is the base model's";
  EXPECT_NE(run->summary().find("LoRA r=4 alpha=8 (scaling 2) dropout 0 on 4 linear layers ([\"q_proj\",\"v_proj\"])"),
            std::string::npos) << run->summary();
}

TEST(Lora, InitialisesAAsKaimingUniformAndScalesByAlphaOverR) {
  auto network = tiny_network("llama");
  kLora.apply(*network, MapOptions({{"lora-r", "8"}, {"lora-alpha", "4"}, {"target-modules", "all-linear"}}), facts("llama"));
  auto sites = network->linear_sites();
  ASSERT_EQ(sites.size(), 14u);
  for (const auto& site : sites) {
    auto lora = std::dynamic_pointer_cast<methods::LoraLinear>(site.owner->linear(site.child));
    ASSERT_TRUE(lora) << site.name;
    EXPECT_DOUBLE_EQ(lora->scaling(), 0.5);
    const double bound = 1.0 / std::sqrt(static_cast<double>(lora->in_features()));
    EXPECT_LE(lora->lora_A().abs().max().item<double>(), bound);
    EXPECT_GT(lora->lora_A().abs().max().item<double>(), 0.5 * bound);
    EXPECT_EQ(lora->lora_B().abs().max().item<double>(), 0.0);
    EXPECT_EQ(lora->lora_A().scalar_type(), torch::kFloat32);
  }
  auto rs = tiny_network("llama");
  kLora.apply(*rs, MapOptions({{"lora-r", "16"}, {"lora-alpha", "8"}, {"use-rslora", "true"}}), facts("llama"));
  auto lora = std::dynamic_pointer_cast<methods::LoraLinear>(rs->linear_sites()[0].owner->linear("q_proj"));
  EXPECT_DOUBLE_EQ(lora->scaling(), 2.0);  // alpha / sqrt(r)
}

TEST(Lora, SameSeedSameInit) {
  auto a = tiny_network("qwen2"), b = tiny_network("qwen2");
  kLora.apply(*a, MapOptions({{"lora-r", "4"}, {"seed", "3"}}), facts("qwen2"));
  kLora.apply(*b, MapOptions({{"lora-r", "4"}, {"seed", "3"}}), facts("qwen2"));
  auto pb = b->named_parameters();
  for (const auto& item : a->named_parameters()) EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
}

TEST(Lora, TargetsByRegexAndErrorsForNoMatch) {
  auto network = tiny_network("llama");
  kLora.apply(*network, MapOptions({{"lora-r", "2"}, {"target-modules", R"(.*\.layers\.1\..*_proj)"}}), facts("llama"));
  for (const auto& name : trainable_names(*network)) EXPECT_NE(name.find("layers.1."), std::string::npos) << name;
  EXPECT_EQ(trainable_names(*network).size(), 14u);

  auto other = tiny_network("llama");
  std::string message = error_of([&] {
    kLora.apply(*other, MapOptions({{"lora-r", "2"}, {"target-modules", "q_prj"}}), facts("llama"));
  });
  EXPECT_NE(message.find("--target-modules q_prj matched no linear layer of this model; its linear layers are named "
                         "down_proj, gate_proj, k_proj, o_proj, q_proj, up_proj, v_proj"), std::string::npos) << message;
  EXPECT_NE(error_of([&] { kLora.apply(*other, MapOptions({{"lora-r", "0"}}), facts("llama")); }).find("--lora-r must be"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              kLora.apply(*other, MapOptions({{"lora-r", "2"}, {"modules-to-save", "lm_haed"}}), facts("llama"));
            }).find("--modules-to-save 'lm_haed' names no module"),
            std::string::npos);
}

TEST(Lora, SavesAPeftAdapterThatLoadsBackToTheSameOutput) {
  TempDir dir;
  auto network = tiny_network("llama");
  auto run = kLora.apply(*network, MapOptions({{"lora-r", "4"}, {"lora-alpha", "16"}, {"lora-dropout", "0.1"},
                                               {"target-modules", "q_proj,v_proj,down_proj"}}),
                         facts("llama"));
  perturb(*network);
  auto adapted = sample_logits(*network);
  run->save(dir.path() / "lora", SaveInfo{"/models/base", json::object()});

  json config = json::parse(std::ifstream(dir.path() / "lora" / "adapter_config.json"));
  EXPECT_EQ(config["peft_type"], "LORA");
  EXPECT_EQ(config["task_type"], "CAUSAL_LM");
  EXPECT_EQ(config["r"], 4);
  EXPECT_EQ(config["lora_alpha"], 16.0);
  EXPECT_EQ(config["lora_dropout"], 0.1);
  EXPECT_EQ(config["target_modules"], json({"down_proj", "q_proj", "v_proj"}));
  EXPECT_EQ(config["base_model_name_or_path"], "/models/base");
  EXPECT_EQ(config["bias"], "none");
  EXPECT_EQ(config["fan_in_fan_out"], false);
  auto tensors = nn::load_safetensors(dir.path() / "lora" / "adapter_model.safetensors");
  ASSERT_EQ(tensors.size(), 12u);
  EXPECT_EQ(tensors[0].first, "base_model.model.model.layers.0.mlp.down_proj.lora_A.weight");
  EXPECT_EQ(tensors[0].second.sizes(), (std::vector<std::int64_t>{4, 176}));
  EXPECT_EQ(tensors[1].first, "base_model.model.model.layers.0.mlp.down_proj.lora_B.weight");
  EXPECT_EQ(tensors[1].second.sizes(), (std::vector<std::int64_t>{64, 4}));

  auto fresh = tiny_network("llama");
  EXPECT_TRUE(kLora.recognises(dir.path() / "lora"));
  auto loaded = kLora.load(*fresh, dir.path() / "lora", false);
  EXPECT_TRUE(torch::allclose(sample_logits(*fresh), adapted, 1e-6, 1e-6));
  EXPECT_TRUE(trainable_names(*fresh).empty());
  auto trainable = tiny_network("llama");
  kLora.load(*trainable, dir.path() / "lora", true);
  EXPECT_EQ(trainable_names(*trainable).size(), 12u);
}

TEST(Lora, MergeFoldsTheAdapterIntoPlainWeights) {
  for (const std::string name : {"llama", "gpt2"}) {
    auto network = tiny_network(name);
    auto run = kLora.apply(*network, MapOptions({{"lora-r", "4"}, {"target-modules", "all-linear"}}), facts(name));
    perturb(*network);
    auto adapted = sample_logits(*network);
    run->merge();
    EXPECT_TRUE(torch::allclose(sample_logits(*network), adapted, 1e-4, 1e-4)) << name;
    for (const auto& item : network->named_parameters()) {
      EXPECT_EQ(item.key().find("lora_"), std::string::npos) << item.key();
      EXPECT_EQ(item.key().find("base_layer"), std::string::npos) << item.key();
    }
  }
}

TEST(Lora, MergeAdapterKeepsTheOutputAndUnmergeRestoresTheBase) {
  for (const std::string name : {"llama", "gpt2"}) {
    auto network = tiny_network(name);
    auto base_weight = [&] {
      for (const auto& item : network->named_parameters())
        if (item.key().find("base_layer.weight") != std::string::npos) return item.value().detach().clone();
      return torch::Tensor();
    };
    auto run = kLora.apply(*network, MapOptions({{"lora-r", "4"}, {"target-modules", "all-linear"}}), facts(name));
    perturb(*network);
    const auto original = base_weight();
    const auto adapted = sample_logits(*network);
    run->merge_adapter();
    EXPECT_FALSE(torch::allclose(base_weight(), original)) << name << ": the delta is in the base weight";
    EXPECT_TRUE(torch::allclose(sample_logits(*network), adapted, 1e-4, 1e-4)) << name;
    EXPECT_NE(error_of([&] {
                network->train();
                nn::Batch batch;
                batch.input_ids = torch::tensor({3, 14}, torch::kInt64).unsqueeze(0);
                network->hidden_states(batch);
              }).find("a merged LoRA layer cannot train: unmerge it first"),
              std::string::npos) << name;
    network->eval();
    run->unmerge_adapter();
    EXPECT_TRUE(torch::allclose(base_weight(), original, 1e-6, 1e-6)) << name;
    EXPECT_TRUE(torch::allclose(sample_logits(*network), adapted, 1e-5, 1e-5)) << name;
    run->unmerge_adapter();  // unmerging an unmerged adapter changes nothing
    EXPECT_TRUE(torch::allclose(base_weight(), original, 1e-6, 1e-6)) << name;
  }
}

TEST(Lora, Gpt2Conv1DIsFanInFanOut) {
  TempDir dir;
  auto network = tiny_network("gpt2");
  auto run = kLora.apply(*network, MapOptions({{"lora-r", "4"}}), facts("gpt2"));
  run->save(dir.path(), SaveInfo{});
  json config = json::parse(std::ifstream(dir.path() / "adapter_config.json"));
  EXPECT_EQ(config["fan_in_fan_out"], true);
  EXPECT_EQ(config["target_modules"], json({"c_attn"}));
  auto tensors = nn::load_safetensors(dir.path() / "adapter_model.safetensors");
  EXPECT_EQ(tensors[0].first, "base_model.model.transformer.h.0.attn.c_attn.lora_A.weight");
  EXPECT_EQ(tensors[0].second.sizes(), (std::vector<std::int64_t>{4, 64}));
  EXPECT_EQ(tensors[1].second.sizes(), (std::vector<std::int64_t>{192, 4}));
}

TEST(Lora, BiasAndModulesToSaveTrainAndAreSavedUnderPeftNames) {
  TempDir dir;
  auto network = tiny_network("qwen2");
  auto run = kLora.apply(*network, MapOptions({{"lora-r", "2"}, {"lora-bias", "all"}}), facts("qwen2"));
  auto names = trainable_names(*network);
  EXPECT_NE(std::find(names.begin(), names.end(), "model.layers.0.self_attn.q_proj.base_layer.bias"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "model.layers.0.self_attn.k_proj.bias"), names.end());
  run->save(dir.path() / "qwen2", SaveInfo{});
  std::set<std::string> keys;
  for (const auto& [key, tensor] : nn::load_safetensors(dir.path() / "qwen2" / "adapter_model.safetensors")) keys.insert(key);
  EXPECT_TRUE(keys.count("base_model.model.model.layers.0.self_attn.q_proj.base_layer.bias"));
  EXPECT_TRUE(keys.count("base_model.model.model.layers.0.self_attn.k_proj.bias"));
  EXPECT_EQ(json::parse(std::ifstream(dir.path() / "qwen2" / "adapter_config.json"))["bias"], "all");

  auto llama = tiny_network("llama");
  kLora.apply(*llama, MapOptions({{"lora-r", "2"}, {"modules-to-save", "lm_head"}}), facts("llama"))->save(dir.path() / "llama", SaveInfo{});
  names = trainable_names(*llama);
  EXPECT_NE(std::find(names.begin(), names.end(), "lm_head.weight"), names.end());
  keys.clear();
  for (const auto& [key, tensor] : nn::load_safetensors(dir.path() / "llama" / "adapter_model.safetensors")) keys.insert(key);
  EXPECT_TRUE(keys.count("base_model.model.lm_head.weight"));
  EXPECT_EQ(json::parse(std::ifstream(dir.path() / "llama" / "adapter_config.json"))["modules_to_save"], json({"lm_head"}));

  EXPECT_NE(error_of([&] {
              kLora.apply(*tiny_network("qwen2"), MapOptions({{"lora-r", "2"}, {"modules-to-save", "lm_head"}}), facts("qwen2"));
            }).find("ties its output head to the input embedding"),
            std::string::npos);
}

TEST(Lora, AnAdapterOfAnotherModelIsRefusedByName) {
  TempDir dir;
  auto network = tiny_network("llama");
  kLora.apply(*network, MapOptions({{"lora-r", "2"}}), facts("llama"))->save(dir.path(), SaveInfo{});
  auto gpt2 = tiny_network("gpt2");
  std::string message = error_of([&] { kLora.load(*gpt2, dir.path(), false); });
  EXPECT_NE(message.find("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight adapts "
                         "'model.layers.0.self_attn.q_proj', which is not a linear layer of this model"),
            std::string::npos) << message;
  std::ofstream(dir.path() / "adapter_config.json") << R"({"peft_type": "LORA", "r": "eight"})";
  EXPECT_NE(error_of([&] { kLora.load(*tiny_network("llama"), dir.path(), false); }).find("'r' has the wrong type"),
            std::string::npos);
}
