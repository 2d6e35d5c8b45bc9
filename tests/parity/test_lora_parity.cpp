// LoRA, DoRA and full fine-tuning against peft + transformers (lora_step.cpp, then reference_lora.py
// -> FTCORE_PARITY_DIR/refs/lora.json): one optimizer step from the same adapter and batch gives the
// same loss and the same updated A/B (and DoRA magnitudes) (<= 1e-4, fp32); peft loads ftcore's
// adapter and computes ftcore's logits; transformers loads ftcore's merged and fully fine-tuned
// directories.
#include <algorithm>
#include <iostream>

#include <gtest/gtest.h>

#include "handler_registry.hpp"
#include "lora/lora_method.hpp"
#include "model/model_dir.hpp"
#include "parity_common.hpp"
#include "parity_models.hpp"
#include "parity_tensors.hpp"
#include "weights/safetensors.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;
using namespace ftcore;

constexpr double kTolerance = 1e-4;

std::map<std::string, torch::Tensor> read_all(const fs::path& file) {
  auto st = weights::SafetensorsFile::open(file);
  std::map<std::string, torch::Tensor> out;
  for (const auto& info : st->tensors()) out.emplace(info.name, st->tensor(info.name).clone());
  return out;
}

std::shared_ptr<nn::CausalLM> network_of(const fs::path& dir) {
  auto network = ftcore::parity::load_fp32(dir).network;
  network->eval();
  return network;
}

torch::Tensor logits(nn::CausalLM& network, const std::map<std::string, torch::Tensor>& batch) {
  torch::NoGradGuard no_grad;
  nn::Batch in;
  in.input_ids = batch.at("input_ids");
  in.attention_mask = batch.at("attention_mask");
  return network.logits(network.hidden_states(in));
}

class LoraParity : public ::testing::TestWithParam<std::string> {};

TEST_P(LoraParity, OneStepAndEveryArtefactMatchPeftAndTransformers) {
  const auto& loaded = ftcore::parity::reference_file("lora.json");
  ASSERT_TRUE(loaded.error.empty()) << loaded.error;
  ASSERT_TRUE(loaded.doc["cases"].contains(GetParam())) << "refs/lora.json has no case " << GetParam();
  const auto& entry = loaded.doc["cases"][GetParam()];
  const fs::path ours = entry["ftcore_dir"].get<std::string>(), base = entry["model_dir"].get<std::string>();
  const fs::path refs = ftcore::parity::parity_dir() / "refs";

  // The step: loss and every adapter tensor after it.
  const double peft_loss = entry["loss"].get<double>();
  const double our_loss = nlohmann::json::parse(std::ifstream(ours / "step.json"))["loss"].get<double>();
  auto theirs = read_all(refs / ("lora-" + GetParam() + "-after.safetensors"));
  auto mine = read_all(ours / "after" / "adapter_model.safetensors");
  double worst = 0;
  for (const auto& [name, tensor] : theirs) {
    ASSERT_TRUE(mine.count(name)) << "ftcore's adapter has no " << name;
    worst = std::max(worst, (mine[name] - tensor).abs().max().item<double>());
  }
  EXPECT_EQ(mine.size(), theirs.size());
  std::cout << "[parity] " << GetParam() << ": one step, loss ftcore " << our_loss << " peft " << peft_loss
            << "; max |adapter tensor diff| after the step " << worst << " over " << theirs.size() << " tensors ("
            << loaded.doc["reference"].get<std::string>() << ")\n";
  EXPECT_NEAR(our_loss, peft_loss, kTolerance);
  EXPECT_LE(worst, kTolerance);

  // What peft and transformers compute with ftcore's outputs.
  auto batch = read_all(ours / "batch.safetensors");
  auto reference = read_all(refs / ("lora-" + GetParam() + "-logits.safetensors"));
  auto adapted = network_of(base);
  methods::LoraMethod().load(*adapted, ours / "after", false);
  const auto expected = logits(*adapted, batch);
  const auto& mask = batch.at("attention_mask");
  const double peft_diff = ftcore::parity::max_diff_where(reference.at("peft_loads_ftcore_adapter"), expected, mask);
  const double merged_diff = ftcore::parity::max_diff_where(reference.at("transformers_loads_merged"), expected, mask);
  std::cout << "[parity] " << GetParam() << ": peft loads ftcore's adapter: max |logit diff| " << peft_diff
            << "; transformers loads the merged model: " << merged_diff;
  EXPECT_LE(peft_diff, kTolerance);
  EXPECT_LE(merged_diff, kTolerance);
  if (reference.count("transformers_loads_full")) {
    const double full_diff =
        ftcore::parity::max_diff_where(reference.at("transformers_loads_full"), logits(*network_of(ours / "full"), batch), mask);
    std::cout << "; and the full fine-tune: " << full_diff;
    EXPECT_LE(full_diff, kTolerance);
  }
  std::cout << "\n";
}

INSTANTIATE_TEST_SUITE_P(Peft, LoraParity, ::testing::Values("llama", "gpt2", "llama-dora", "gpt2-dora"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
