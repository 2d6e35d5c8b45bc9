// ftcore's side of the AdaLoRA parity check (run by run_parity.sh before reference_adalora.py):
//
//   adalora_steps MODEL_DIR OUT_DIR
//
// On a tiny transformers-made checkpoint: AdaLoRA init_r 6 -> target_r 2 on every linear layer
// (tinit 2, tfinal 2, total_step 10), its E given seeded values (so that every part has a gradient
// from the first step), saved as OUT_DIR/initial (a PEFT adapter). Then ten steps of ftcore's
// trainer on one fixed two-row batch (OUT_DIR/batch.safetensors), AdamW lr 1e-2 without decay or
// clipping, the allocator after every step; a checkpoint after every step holds the rank pattern
// (adalora_state.json). The final adapter (truncated to the kept ranks) is OUT_DIR/after, its logits
// on the batch OUT_DIR/logits.safetensors, and the steps' losses OUT_DIR/steps.json.
// reference_adalora.py repeats the ten steps with peft's update_and_allocate and loads OUT_DIR/after.
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "adalora/adalora_method.hpp"
#include "handler_registry.hpp"
#include "method_support.hpp"
#include "parity_models.hpp"
#include "model/model_dir.hpp"
#include "train/trainer.hpp"
#include "weights/safetensors.hpp"

namespace fs = std::filesystem;
using namespace ftcore;
using nlohmann::json;

constexpr std::int64_t kSteps = 10;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: adalora_steps MODEL_DIR OUT_DIR\n";
    return 2;
  }
  const fs::path model_dir = argv[1], out = argv[2];
  fs::remove_all(out);
  fs::create_directories(out);
  const SaveInfo info{fs::absolute(model_dir), json::object()};

  auto loaded = parity::load_fp32(model_dir);
  const json& config = loaded.config;
  auto network = loaded.network;
  auto run = methods::AdaLoraMethod().apply(
      *network,
      ftcore::testing::MapOptions({{"lora-r", "6"}, {"adalora-target-r", "2"}, {"lora-alpha", "16"}, {"adalora-tinit", "2"},
                                   {"adalora-tfinal", "2"}, {"adalora-total-step", std::to_string(kSteps)},
                                   {"target-modules", "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"}}),
      loaded.facts);
  {
    torch::NoGradGuard no_grad;
    auto generator = at::make_generator<at::CPUGeneratorImpl>(13);
    for (const auto& item : network->named_parameters())
      if (item.key().find("lora_E") != std::string::npos) item.value().normal_(0.0, 0.5, generator);
  }
  run->save(out / "initial", info);

  auto generator = at::make_generator<at::CPUGeneratorImpl>(5);
  std::vector<train::Example> examples;
  const auto vocab = config.value("vocab_size", std::int64_t{96});
  for (std::int64_t length : {11, 7}) {
    auto ids = torch::randint(1, vocab, {length}, generator, torch::kInt64);
    train::Example e;
    for (std::int64_t i = 0; i < length; ++i) {
      e.ids.push_back(static_cast<std::int32_t>(ids[i].item<std::int64_t>()));
      e.trained.push_back(i >= 3 ? 1 : 0);
    }
    examples.push_back(e);
  }
  const train::MicroBatch micro = train::plan_epoch(examples, {2, 2048, false, true, 42}, 0).front();
  train::Batch batch = train::collate(examples, micro, 0);
  weights::save_file(out / "batch.safetensors",
                     {{"input_ids", batch.input_ids}, {"labels", batch.labels}, {"attention_mask", batch.attention_mask}});

  train::TrainerSettings s;
  s.batch_size = 2;
  s.max_steps = kSteps;
  s.learning_rate = 1e-2;
  s.weight_decay = 0;
  s.max_grad_norm = 0;
  s.schedule = train::ScheduleKind::constant;
  s.warmup_steps = 0;
  s.logging_steps = 1;
  s.eval_steps = 1000;
  s.save_steps = 1;
  s.save_total_limit = 100;
  const train::OutputLayout layout{out / "run"};
  train::Trainer(*network, *run, examples, {}, 0, s, layout, info).run(std::nullopt);
  run->save(out / "after", info);

  json steps = json::array();
  std::ifstream metrics(layout.metrics());
  for (std::string line; std::getline(metrics, line);) {
    const json entry = json::parse(line);
    if (!entry.contains("train/loss")) continue;
    const auto step = entry["step"].get<std::int64_t>();
    std::ifstream state(layout.checkpoint(step) / "adalora_state.json");
    steps.push_back({{"step", step},
                     {"loss", entry["train/loss"].get<double>() + entry.value("train/regularizer", 0.0)},
                     {"rank_pattern", json::parse(state)["rank_pattern"]}});
  }
  std::ofstream(out / "steps.json") << steps.dump(1) << "\n";

  network->eval();
  torch::NoGradGuard no_grad;
  nn::Batch inputs;
  inputs.input_ids = batch.input_ids;
  inputs.attention_mask = batch.attention_mask;
  weights::save_file(out / "logits.safetensors", {{"logits", network->logits(network->hidden_states(inputs)).contiguous()}});
  std::cout << "adalora_steps: " << model_dir.filename().string() << " -> " << out.string() << "\n";
  return 0;
}
