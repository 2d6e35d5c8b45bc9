// ftcore's side of the LoRA parity check (run by run_parity.sh before reference_lora.py):
//
//   lora_step MODEL_DIR OUT_DIR lora|dora
//
// On a tiny transformers-made checkpoint: LoRA (or DoRA) r=4 on every linear layer, its B matrices given
// seeded values (so that A's gradients are not zero), saved as OUT_DIR/initial (a PEFT adapter);
// one optimizer step by ftcore's trainer on a fixed two-row batch (written to OUT_DIR/batch.safetensors),
// the adapter after it in OUT_DIR/after and the step's loss in OUT_DIR/step.json; that adapter merged
// into OUT_DIR/merged; and (lora only) one full fine-tuning step written as a model directory to OUT_DIR/full.
// reference_lora.py repeats the step with peft and loads these directories with peft/transformers.
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "ftcore/nn/io.hpp"
#include "full/full_method.hpp"
#include "handler_registry.hpp"
#include "lora/lora_method.hpp"
#include "method_support.hpp"
#include "parity_models.hpp"
#include "model/model_dir.hpp"
#include "train/trainer.hpp"
#include "weights/safetensors.hpp"

namespace fs = std::filesystem;
using namespace ftcore;
using nlohmann::json;

namespace {

// The step both sides take: AdamW, constant learning rate, decay on every adapter weight, clipping at 1.
constexpr double kLearningRate = 1e-3, kWeightDecay = 0.1, kMaxGradNorm = 1.0;

std::vector<train::Example> examples(std::int64_t vocab) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(5);
  std::vector<train::Example> out;
  for (std::int64_t length : {11, 7}) {
    auto ids = torch::randint(1, vocab, {length}, generator, torch::kInt64);
    train::Example e;
    for (std::int64_t i = 0; i < length; ++i) {
      e.ids.push_back(static_cast<std::int32_t>(ids[i].item<std::int64_t>()));
      e.trained.push_back(i >= 3 ? 1 : 0);  // a "prompt" of three tokens does not train
    }
    out.push_back(e);
  }
  return out;
}

train::TrainerSettings one_step() {
  train::TrainerSettings s;
  s.batch_size = 2;
  s.max_steps = 1;
  s.learning_rate = kLearningRate;
  s.weight_decay = kWeightDecay;
  s.max_grad_norm = kMaxGradNorm;
  s.schedule = train::ScheduleKind::constant;
  s.warmup_steps = 0;
  s.save_total_limit = 0;
  return s;
}

double step_loss(const fs::path& out) {
  std::ifstream in(train::OutputLayout{out}.metrics());
  std::string line;
  std::getline(in, line);
  return json::parse(line)["train/loss"].get<double>();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || (std::string(argv[3]) != "lora" && std::string(argv[3]) != "dora")) {
    std::cerr << "usage: lora_step MODEL_DIR OUT_DIR lora|dora\n";
    return 2;
  }
  const fs::path model_dir = argv[1], out = argv[2];
  const bool dora = std::string(argv[3]) == "dora";
  fs::remove_all(out);
  fs::create_directories(out);
  const SaveInfo info{fs::absolute(model_dir), json::object()};

  // LoRA: initial adapter, one step, adapter after, merged model.
  auto lora = parity::load_fp32(model_dir);
  auto examples_ = examples(lora.config.value("vocab_size", std::int64_t{96}));
  auto run = methods::LoraMethod(dora ? methods::LoraMethod::Variant::dora : methods::LoraMethod::Variant::lora).apply(
      *lora.network, ftcore::testing::MapOptions({{"lora-r", "4"}, {"lora-alpha", "8"}, {"target-modules", "all-linear"}}),
      lora.facts);
  {
    torch::NoGradGuard no_grad;
    auto generator = at::make_generator<at::CPUGeneratorImpl>(11);
    for (const auto& item : lora.network->named_parameters())
      if (item.key().find("lora_B") != std::string::npos) item.value().normal_(0.0, 0.1, generator);
  }
  run->save(out / "initial", info);
  const train::MicroBatch micro = train::plan_epoch(examples_, {2, 2048, false, true, 42}, 0).front();
  train::Batch batch = train::collate(examples_, micro, 0);
  weights::save_file(out / "batch.safetensors",
                     {{"input_ids", batch.input_ids}, {"labels", batch.labels}, {"attention_mask", batch.attention_mask}});
  train::Trainer(*lora.network, *run, examples_, {}, 0, one_step(), train::OutputLayout{out / "lora-run"}, info).run(std::nullopt);
  run->save(out / "after", info);
  std::ofstream(out / "step.json") << json{{"loss", step_loss(out / "lora-run")}, {"lr", kLearningRate},
                                           {"weight_decay", kWeightDecay}, {"max_grad_norm", kMaxGradNorm}}
                                          .dump(1);
  run->merge();
  nn::save_model_dir(*lora.network, model_dir, out / "merged");
  if (dora) {
    std::cout << "lora_step: " << model_dir.filename().string() << " (dora) -> " << out.string() << "\n";
    return 0;
  }

  // Full fine-tuning: one step, written as a model directory.
  auto full = parity::load_fp32(model_dir);
  auto full_run = methods::FullMethod().apply(*full.network, ftcore::testing::MapOptions(), full.facts);
  train::Trainer(*full.network, *full_run, examples_, {}, 0, one_step(), train::OutputLayout{out / "full-run"}, info)
      .run(std::nullopt);
  full_run->save(out / "full", info);
  std::cout << "lora_step: " << model_dir.filename().string() << " -> " << out.string() << "\n";
  return 0;
}
