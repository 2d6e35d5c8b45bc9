// The training loop on a tiny model: the loss falls, accumulation normalises like one big batch,
// resuming from a checkpoint continues exactly, outputs and checkpoints are laid out as documented.
#include <fstream>

#include <gtest/gtest.h>

#include <torch/cuda.h>

#include "device/device.hpp"
#include "lora/lora_method.hpp"
#include "method_support.hpp"
#include "model/model_dir.hpp"
#include "png_image.hpp"
#include "test_support.hpp"
#include "train/trainer.hpp"
#include "weights/safetensors.hpp"

using namespace ftcore;
using namespace ftcore::train;
using ftcore::testing::MapOptions;
using ftcore::testing::TempDir;
using nlohmann::json;

namespace {

struct Prepared {
  model::Model model;
  std::unique_ptr<MethodRun> run;
  std::vector<Example> examples;
};

const std::vector<std::string> kTexts{"the cat sat on the mat", "a dog ran in the park", "the sun is bright today",
                                      "we train small models", "lora adapts linear layers", "tokens become ids"};

std::filesystem::path base_model() {
  static TempDir dir;
  static std::filesystem::path path = [] {
    model::InitOptions init;
    init.out = dir.path() / "llama";
    init.texts = kTexts;
    model::init_model(ftcore::testing::family("llama"), init);
    return init.out;
  }();
  return path;
}

/// A text sample's example for the model of `s`.
Example example_of(const Prepared& s, const std::string& text) {
  Sample sample;
  sample.kind = Sample::Kind::text;
  sample.text = text;
  ExampleBuilder builder(*s.model.tokenizer, nullptr, s.model.tokenizer->token_to_id("<|eot_id|>"), {});
  return builder.build_all({sample}).examples.at(0);
}

Prepared setup(double dropout = 0.0) {
  Prepared s{model::load_model(base_model(), ftcore::testing::builtin_handlers(), {}), nullptr, {}};
  s.run = methods::LoraMethod().apply(
      *s.model.network,
      // A random model's output head is too small to express a confident prediction: it trains too.
      MapOptions({{"lora-r", "8"}, {"lora-dropout", std::to_string(dropout)}, {"target-modules", "all-linear"},
                  {"modules-to-save", "lm_head"}}),
      s.model.facts);
  std::vector<Sample> samples;
  for (const auto& t : kTexts) {
    Sample sample;
    sample.kind = Sample::Kind::text;
    sample.text = t;
    samples.push_back(sample);
  }
  ExampleBuilder builder(*s.model.tokenizer, nullptr, s.model.tokenizer->token_to_id("<|eot_id|>"), {});
  s.examples = builder.build_all(samples).examples;
  return s;
}

TrainerSettings settings() {
  TrainerSettings t;
  t.batch_size = 2;
  t.learning_rate = 1e-2;
  t.schedule = ScheduleKind::constant;
  t.logging_steps = 1;
  t.save_total_limit = 0;
  return t;
}

/// The entries of metrics.jsonl that hold `key`.
std::vector<json> entries(const std::filesystem::path& metrics, const std::string& key) {
  std::vector<json> out;
  std::ifstream in(metrics);
  for (std::string line; std::getline(in, line);)
    if (auto entry = json::parse(line); entry.contains(key)) out.push_back(entry);
  return out;
}

std::vector<double> losses(const std::filesystem::path& metrics) {
  std::vector<double> out;
  for (const auto& entry : entries(metrics, "train/loss")) out.push_back(entry["train/loss"].get<double>());
  return out;
}

std::map<std::string, torch::Tensor> trainable(nn::CausalLM& network) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : network.named_parameters())
    if (item.value().requires_grad()) out.emplace(item.key(), item.value().detach().clone());
  return out;
}

}  // namespace

TEST(Trainer, LossFallsAndOutputsAreWritten) {
  TempDir out;
  auto s = setup();
  auto t = settings();
  t.epochs = 15;
  std::vector<Example> validation{s.examples.back()};
  Trainer trainer(*s.model.network, *s.run, s.examples, validation, 0, t, OutputLayout{out.path()}, SaveInfo{});
  EXPECT_EQ(trainer.total_steps(), 45);  // 6 examples, batches of 2, 15 epochs
  auto result = trainer.run(std::nullopt);
  auto l = losses(OutputLayout{out.path()}.metrics());
  ASSERT_EQ(l.size(), 45u);
  EXPECT_LT(l.back(), 0.5 * l.front()) << "first " << l.front() << ", last " << l.back();
  EXPECT_EQ(result.steps, 45);
  ASSERT_TRUE(result.best_val_loss.has_value());
  OutputLayout layout{out.path()};
  for (const auto& path : {layout.last() / "trainer_state.json", layout.last() / "lora" / "adapter_config.json",
                           layout.best() / "trainable.safetensors", layout.history_plot(), layout.checkpoint(45)})
    EXPECT_TRUE(std::filesystem::exists(path)) << path;
  bool events = false;
  for (const auto& entry : std::filesystem::directory_iterator(layout.logs()))
    events |= entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  EXPECT_TRUE(events);
}

TEST(Trainer, AccumulatedMicroBatchesStepLikeOneBatch) {
  auto one = setup(), two = setup();
  one.examples.resize(4), two.examples.resize(4);  // one step sees all of them either way
  auto big = settings();
  big.max_steps = 1;
  big.adam_epsilon = 1e-2;  // so that the update depends smoothly on the gradient, not on its sign
  big.batch_size = 4;
  auto small = big;
  small.batch_size = 1;
  small.grad_accum = 4;
  TempDir a, b;
  Trainer(*one.model.network, *one.run, one.examples, {}, 0, big, OutputLayout{a.path()}, SaveInfo{}).run(std::nullopt);
  Trainer(*two.model.network, *two.run, two.examples, {}, 0, small, OutputLayout{b.path()}, SaveInfo{}).run(std::nullopt);
  EXPECT_NEAR(losses(OutputLayout{a.path()}.metrics())[0], losses(OutputLayout{b.path()}.metrics())[0], 1e-5);
  auto pa = trainable(*one.model.network), pb = trainable(*two.model.network);
  for (const auto& [name, tensor] : pa) EXPECT_TRUE(torch::allclose(tensor, pb[name], 1e-5, 1e-6)) << name;
}

TEST(Trainer, ResumingFromACheckpointContinuesExactly) {
  auto t = settings();
  t.max_steps = 8;
  t.save_steps = 4;
  t.schedule = ScheduleKind::cosine;
  t.warmup_steps = 2;
  TempDir a, b;
  auto first = setup(0.1);
  Trainer(*first.model.network, *first.run, first.examples, {}, 0, t, OutputLayout{a.path()}, SaveInfo{}).run(std::nullopt);
  auto second = setup(0.1);
  Trainer(*second.model.network, *second.run, second.examples, {}, 0, t, OutputLayout{b.path()}, SaveInfo{})
      .run(OutputLayout{a.path()}.checkpoint(4));
  auto uninterrupted = losses(OutputLayout{a.path()}.metrics()), resumed = losses(OutputLayout{b.path()}.metrics());
  ASSERT_EQ(uninterrupted.size(), 8u);
  ASSERT_EQ(resumed.size(), 8u) << "the history up to the checkpoint comes with it";
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(uninterrupted[i], resumed[i]) << "step " << i + 1;
  auto pa = trainable(*first.model.network), pb = trainable(*second.model.network);
  for (const auto& [name, tensor] : pa) EXPECT_TRUE(torch::equal(tensor, pb[name])) << name;
}

// On a GPU (skipped without one): the steps equal the CPU's, and a checkpoint written on the GPU
// resumes on the CPU (and the other way round) continuing like the uninterrupted run.
TEST(TrainerOnGpu, StepsEqualTheCpusAndCheckpointsMoveBetweenDevices) {
  if (!device::built_with_cuda() || !torch::cuda::is_available()) GTEST_SKIP() << "no CUDA GPU";
  const torch::Device gpu(torch::kCUDA, 0);
  auto t = settings();
  t.max_steps = 6;
  t.save_steps = 3;
  t.adam_epsilon = 1e-2;  // the update follows the gradient smoothly: rounding differences stay small
  TempDir on_cpu, on_gpu, gpu_then_cpu, cpu_then_gpu;
  auto cpu_run = setup();
  Trainer(*cpu_run.model.network, *cpu_run.run, cpu_run.examples, {}, 0, t, OutputLayout{on_cpu.path()}, SaveInfo{})
      .run(std::nullopt);
  auto gpu_run = setup();
  gpu_run.model.network->to(gpu);
  Trainer(*gpu_run.model.network, *gpu_run.run, gpu_run.examples, {}, 0, t, OutputLayout{on_gpu.path()}, SaveInfo{})
      .run(std::nullopt);
  EXPECT_TRUE(gpu_run.model.network->lm_head_weight().is_cuda());
  auto expected = trainable(*cpu_run.model.network);
  auto check = [&](nn::CausalLM& network, const std::string& what) {
    for (auto& [name, tensor] : trainable(network))
      EXPECT_TRUE(torch::allclose(tensor.cpu(), expected[name], 1e-4, 1e-5))
          << what << ": " << name << " differs by " << (tensor.cpu() - expected[name]).abs().max().item<double>();
  };
  check(*gpu_run.model.network, "trained on the GPU");
  auto l_cpu = losses(OutputLayout{on_cpu.path()}.metrics()), l_gpu = losses(OutputLayout{on_gpu.path()}.metrics());
  ASSERT_EQ(l_gpu.size(), l_cpu.size());
  for (std::size_t i = 0; i < l_cpu.size(); ++i) EXPECT_NEAR(l_gpu[i], l_cpu[i], 1e-4) << "step " << i + 1;

  auto resumed_on_cpu = setup();
  Trainer(*resumed_on_cpu.model.network, *resumed_on_cpu.run, resumed_on_cpu.examples, {}, 0, t,
          OutputLayout{gpu_then_cpu.path()}, SaveInfo{})
      .run(OutputLayout{on_gpu.path()}.checkpoint(3));
  check(*resumed_on_cpu.model.network, "GPU checkpoint resumed on the CPU");
  auto resumed_on_gpu = setup();
  resumed_on_gpu.model.network->to(gpu);
  Trainer(*resumed_on_gpu.model.network, *resumed_on_gpu.run, resumed_on_gpu.examples, {}, 0, t,
          OutputLayout{cpu_then_gpu.path()}, SaveInfo{})
      .run(OutputLayout{on_cpu.path()}.checkpoint(3));
  check(*resumed_on_gpu.model.network, "CPU checkpoint resumed on the GPU");
  EXPECT_TRUE(weights::SafetensorsFile::open(OutputLayout{on_gpu.path()}.checkpoint(3) / "rng.safetensors")->find("cuda"))
      << "the GPU's generator state is saved";
}

TEST(Trainer, ACheckpointOfAnotherRunIsRefused) {
  TempDir a, b;
  auto t = settings();
  t.max_steps = 1;
  auto first = setup();
  Trainer(*first.model.network, *first.run, first.examples, {}, 0, t, OutputLayout{a.path()}, SaveInfo{}).run(std::nullopt);
  Prepared other{model::load_model(base_model(), ftcore::testing::builtin_handlers(), {}), nullptr, first.examples};
  other.run = methods::LoraMethod().apply(*other.model.network, MapOptions({{"lora-r", "4"}}), other.model.facts);
  Trainer trainer(*other.model.network, *other.run, other.examples, {}, 0, t, OutputLayout{b.path()}, SaveInfo{});
  try {
    trainer.run(OutputLayout{a.path()}.checkpoint(1));
    FAIL() << "resumed from a checkpoint of another run";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("the checkpoint does not fit this run"), std::string::npos) << e.what();
  }
}

TEST(Checkpoints, KeepsTheNewestAndAliasesAreHardLinks) {
  TempDir dir;
  OutputLayout layout{dir.path()};
  for (int step : {2, 4, 6, 8}) {
    write_atomically(layout.checkpoint(step), [&](const std::filesystem::path& staging) {
      std::ofstream(staging / "trainer_state.json") << step;
      for (const char* file : {"trainable.safetensors", "optimizer.safetensors", "rng.safetensors"})
        std::ofstream(staging / file) << step;  // a checkpoint is whole with all four files
    });
    publish_alias(layout.checkpoint(step), layout.last());
  }
  remove_old_checkpoints(layout.checkpoints(), 2);
  auto kept = numbered_checkpoints(layout.checkpoints());
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].filename(), "checkpoint-6");
  EXPECT_EQ(std::filesystem::hard_link_count(layout.last() / "trainer_state.json"), 2u);
  EXPECT_EQ(latest_checkpoint(layout), layout.last());
  EXPECT_THROW(write_atomically(layout.checkpoint(10), [](const std::filesystem::path&) { throw std::runtime_error("x"); }),
               std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(layout.checkpoint(10)));
  std::size_t hidden = 0;
  for (const auto& entry : std::filesystem::directory_iterator(layout.checkpoints())) hidden += entry.path().filename().string()[0] == '.';
  EXPECT_EQ(hidden, 0u) << "no staging folder is left behind";
}

// ---- the trainer and the modes ------------------------------------------------------------------

namespace {

/// Answers evaluations from a script (index -> decision) and remembers what it was shown.
class ScriptedPolicy final : public StopPolicy {
 public:
  std::map<std::int64_t, StopDecision> script;
  std::vector<Evaluation> seen;

  std::string name() const override { return "scripted"; }
  std::string description() const override { return "test"; }
  void adjust_plan(TrainingPlan&, const Options&) override {}
  StopDecision on_evaluation(const Evaluation& e) override {
    seen.push_back(e);
    auto it = script.find(e.index);
    return it == script.end() ? StopDecision{} : it->second;
  }
};

StopDecision decision(StopDecision::Action action, std::string reason, double lr = 1, double batch = 1) {
  StopDecision d;
  d.action = action;
  d.reason = std::move(reason);
  d.learning_rate_scale = lr;
  d.batch_scale = batch;
  return d;
}

}  // namespace

TEST(TrainerModes, AStopEndsTheRunAtThatEvaluationWithACheckpoint) {
  TempDir out;
  auto s = setup();
  auto t = settings();
  t.epochs = 5;  // 6 examples in batches of 2: 3 steps per epoch, one evaluation per epoch
  ScriptedPolicy policy;
  policy.script[2] = decision(StopDecision::Action::stop, "enough");
  Trainer trainer(*s.model.network, *s.run, s.examples, {}, 0, t, OutputLayout{out.path()}, SaveInfo{}, {&policy});
  auto result = trainer.run(std::nullopt);
  EXPECT_EQ(result.steps, 6);
  EXPECT_EQ(result.stop_reason, "scripted: enough");
  ASSERT_EQ(policy.seen.size(), 2u);
  EXPECT_EQ(policy.seen[0].step, 3);
  EXPECT_EQ(policy.seen[1].index, 2);
  EXPECT_FALSE(policy.seen[1].val_loss.has_value()) << "no validation data";
  EXPECT_GT(policy.seen[1].train_loss, 0);
  EXPECT_TRUE(std::filesystem::exists(OutputLayout{out.path()}.checkpoint(6)));
}

TEST(TrainerModes, WithoutAutoStopAStopIsOnlyReported) {
  TempDir out;
  auto s = setup();
  auto t = settings();
  t.epochs = 5;
  t.auto_stop = false;
  ScriptedPolicy policy;
  policy.script[1] = decision(StopDecision::Action::stop, "enough");
  auto result = Trainer(*s.model.network, *s.run, s.examples, {}, 0, t, OutputLayout{out.path()}, SaveInfo{}, {&policy})
                    .run(std::nullopt);
  EXPECT_EQ(result.steps, 15);
  EXPECT_TRUE(result.stop_reason.empty());
  EXPECT_EQ(policy.seen.size(), 5u);
}

TEST(TrainerModes, AdjustmentsScaleTheLearningRateAndGrowTheBatch) {
  TempDir out;
  auto s = setup();
  auto t = settings();
  t.epochs = 5;
  ScriptedPolicy policy;
  policy.script[1] = decision(StopDecision::Action::adjust, "slower", 0.5, 1);
  policy.script[2] = decision(StopDecision::Action::adjust, "bigger", 1, 2);
  Trainer trainer(*s.model.network, *s.run, s.examples, {}, 0, t, OutputLayout{out.path()}, SaveInfo{}, {&policy});
  EXPECT_EQ(trainer.total_steps(), 15);
  auto result = trainer.run(std::nullopt);
  // After evaluation 2 (step 6) two micro-batches make a step: 3 epochs of 2 steps remain.
  EXPECT_EQ(result.steps, 12);
  EXPECT_EQ(result.total_steps, 12);
  auto steps = entries(OutputLayout{out.path()}.metrics(), "train/learning_rate");
  ASSERT_EQ(steps.size(), 12u);
  EXPECT_DOUBLE_EQ(steps[2]["train/learning_rate"].get<double>(), 1e-2);
  EXPECT_DOUBLE_EQ(steps[3]["train/learning_rate"].get<double>(), 5e-3);
  EXPECT_EQ(steps[5]["train/effective_batch"], 2);
  EXPECT_EQ(steps[6]["train/effective_batch"], 4);
  EXPECT_EQ(steps[7]["train/effective_batch"], 2) << "the epoch's last micro-batch steps alone";
}

TEST(TrainerModes, TheBatchGrowsPerEpochUpToItsCap) {
  TempDir out;
  auto s = setup();
  auto t = settings();
  t.batch_size = 1;  // 6 micro-batches per epoch
  t.epochs = 4;
  t.batch_growth = 2;
  t.max_batch_scale = 4;
  Trainer trainer(*s.model.network, *s.run, s.examples, {}, 0, t, OutputLayout{out.path()}, SaveInfo{});
  EXPECT_EQ(trainer.total_steps(), 6 + 3 + 2 + 2);
  trainer.run(std::nullopt);
  std::vector<std::int64_t> batches;
  for (const auto& entry : entries(OutputLayout{out.path()}.metrics(), "train/effective_batch"))
    batches.push_back(entry["train/effective_batch"]);
  EXPECT_EQ(batches, (std::vector<std::int64_t>{1, 1, 1, 1, 1, 1, 2, 2, 2, 4, 2, 4, 2}));
}

TEST(TrainerModes, AResumedRunShowsTheModesTheEarlierEvaluationsAgain) {
  auto t = settings();
  t.max_steps = 9;  // evaluations at steps 3, 6, 9
  t.save_steps = 6;
  TempDir a, b;
  auto first = setup();
  ScriptedPolicy straight;
  Trainer(*first.model.network, *first.run, first.examples, {}, 0, t, OutputLayout{a.path()}, SaveInfo{}, {&straight})
      .run(std::nullopt);
  auto second = setup();
  ScriptedPolicy resumed;
  Trainer(*second.model.network, *second.run, second.examples, {}, 0, t, OutputLayout{b.path()}, SaveInfo{}, {&resumed})
      .run(OutputLayout{a.path()}.checkpoint(6));
  ASSERT_EQ(straight.seen.size(), 3u);
  ASSERT_EQ(resumed.seen.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(resumed.seen[i].step, straight.seen[i].step);
    EXPECT_EQ(resumed.seen[i].train_loss, straight.seen[i].train_loss) << i;
  }
}

TEST(TrainerModes, TheBestCheckpointIsRestoredAtTheEnd) {
  TempDir out;
  auto s = setup();
  auto t = settings();
  t.epochs = 12;
  t.learning_rate = 5e-2;
  // Memorising the training texts takes probability from the held-out text's characters, none of which
  // they use: its loss is lowest early, in every libtorch (the model's other numbers differ between them).
  std::vector<Example> validation{example_of(s, "zq xj vk zq xj vk")};
  Trainer trainer(*s.model.network, *s.run, s.examples, validation, 0, t, OutputLayout{out.path()}, SaveInfo{});
  auto result = trainer.run(std::nullopt);
  ASSERT_TRUE(result.restored_best_step.has_value()) << "best at step " << result.best_step << " of " << result.steps;
  EXPECT_LT(*result.restored_best_step, result.steps);
  EXPECT_NEAR(trainer.evaluate(), *result.best_val_loss, 1e-6);
  auto best = weights::SafetensorsFile::open(OutputLayout{out.path()}.best() / "trainable.safetensors");
  for (const auto& [name, tensor] : trainable(*s.model.network))
    EXPECT_TRUE(torch::equal(tensor, best->tensor(name))) << name;
}

TEST(TrainerModes, TrainingHistoryPngShowsTheTrainAndValidationCurves) {
  TempDir out;
  auto s = setup();
  auto t = settings();
  t.epochs = 4;
  t.evaluations_per_epoch = 2;
  std::vector<Example> validation{s.examples.back()};
  Trainer(*s.model.network, *s.run, s.examples, validation, 0, t, OutputLayout{out.path()}, SaveInfo{}).run(std::nullopt);
  const auto image = ftcore::testing::decode(OutputLayout{out.path()}.history_plot());
  EXPECT_EQ(image.width, 1200);
  EXPECT_EQ(image.height, 700);
  EXPECT_GT(image.count_inside(0x1F77B4), 100) << "the training-loss curve (blue)";
  EXPECT_GT(image.count_inside(0xFF7F0E), 20) << "the validation-loss curve and its dots (orange)";
}
