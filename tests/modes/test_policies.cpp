// Each built-in mode on its own: the plan it makes and its answer to made-up evaluations.
#include <cmath>
#include <functional>
#include <stdexcept>

#include <gtest/gtest.h>

#include "adaptive/adaptive.hpp"
#include "circular/circular.hpp"
#include "config/options.hpp"
#include "early-stop/early_stop.hpp"
#include "force-epochs/force_epochs.hpp"
#include "presets/presets.hpp"

namespace {

using namespace ftcore;
using Action = StopDecision::Action;

config::Config options(std::initializer_list<std::pair<const char*, const char*>> values = {}) {
  config::Config c;
  for (const auto& [key, value] : values) c.set_text(key, value, config::Layer::cli, std::string("--") + key);
  return c;
}

/// The message of the std::invalid_argument `f` throws ("no error" when it throws none).
std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

Evaluation evaluation(std::int64_t index, double train, std::optional<double> val = std::nullopt,
                      std::optional<double> best = std::nullopt, std::int64_t since_best = 0) {
  Evaluation e;
  e.index = index;
  e.step = index * 10;
  e.train_loss = train;
  e.val_loss = val;
  e.best_val_loss = best ? best : val;
  e.evaluations_since_best = since_best;
  return e;
}

TEST(Presets, OneRowEachWithItsPace) {
  struct Want { const char* name; double epochs, lr, evals; };
  for (const Want& want : {Want{"slow", 5, 0.5, 1}, Want{"medium", 3, 1, 2}, Want{"fast", 1, 2, 4}}) {
    auto policy = modes::make_preset(want.name);
    ASSERT_NE(policy, nullptr) << want.name;
    ASSERT_EQ(policy->defaults().size(), 1u);
    EXPECT_EQ(policy->defaults()[0].first, "epochs");
    EXPECT_EQ(std::stod(policy->defaults()[0].second), want.epochs);
    TrainingPlan plan;
    auto c = options();
    c.set_text("epochs", policy->defaults()[0].second, config::Layer::mode, "mode");
    policy->adjust_plan(plan, c);
    EXPECT_EQ(plan.epochs, want.epochs) << want.name;
    EXPECT_EQ(plan.learning_rate_scale, want.lr) << want.name;
    EXPECT_EQ(plan.evaluations_per_epoch, want.evals) << want.name;
    EXPECT_TRUE(plan.auto_stop);
    EXPECT_FALSE(plan.finish_on_interrupt);
  }
  EXPECT_EQ(modes::make_preset("circular"), nullptr);
}

TEST(Presets, NonStopHasNoLimitNoAutoStopAndFinishesOnInterrupt) {
  auto policy = modes::make_preset("non-stop");
  TrainingPlan plan;
  policy->adjust_plan(plan, options({{"epochs", "7"}}));
  EXPECT_LE(plan.epochs, 0);
  EXPECT_DOUBLE_EQ(plan.learning_rate_scale, 0.3);
  EXPECT_FALSE(plan.auto_stop);
  EXPECT_TRUE(plan.finish_on_interrupt);
  EXPECT_TRUE(policy->defaults().empty());
  EXPECT_NE(policy->summary().find("no epoch limit"), std::string::npos) << policy->summary();
}

TEST(Presets, ConflictWithEachOtherAndNonStopWithForceEpochsAndCircular) {
  auto names = [](const StopPolicy& p) {
    std::vector<std::string> out;
    for (const auto& [name, why] : p.conflicts()) out.push_back(name);
    return out;
  };
  EXPECT_EQ(names(*modes::make_preset("fast")), (std::vector<std::string>{"slow", "medium", "non-stop"}));
  EXPECT_EQ(names(*modes::make_preset("non-stop")), (std::vector<std::string>{"slow", "medium", "fast", "force-epochs", "circular"}));
}

TEST(ForceEpochs, TurnsAutoStopOff) {
  modes::ForceEpochs policy;
  TrainingPlan plan;
  plan.epochs = 4;
  policy.adjust_plan(plan, options());
  EXPECT_FALSE(plan.auto_stop);
  EXPECT_EQ(plan.epochs, 4);
  EXPECT_EQ(policy.summary(), "force-epochs: all 4 epoch(s), no auto-stop");
}

TEST(Circular, CyclesGrowTheBatchAndValidationRulesAreOffByDefault) {
  modes::Circular policy;
  TrainingPlan plan;
  policy.adjust_plan(plan, options({{"max-circular-epochs", "30"}, {"circular-batch-growth", "1.5"}}));
  EXPECT_EQ(plan.epochs, 30);
  EXPECT_EQ(plan.batch_growth, 1.5);
  EXPECT_EQ(plan.max_batch_scale, modes::Circular::kMaxBatchScale);
  TrainingPlan defaults;
  modes::Circular().adjust_plan(defaults, options());
  EXPECT_EQ(defaults.epochs, 100);
  EXPECT_DOUBLE_EQ(defaults.batch_growth, 1.2);
  EXPECT_EQ(policy.defaults(), (std::vector<std::pair<std::string, std::string>>{{"patience", "0"}, {"overfitting-threshold", "0"}}));
}

TEST(Circular, RefusesImpossibleOptions) {
  TrainingPlan plan;
  try {
    modes::Circular().adjust_plan(plan, options({{"max-circular-epochs", "0"}}));
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--max-circular-epochs 0: must be at least 1");
  }
  EXPECT_EQ(refusal([&] { modes::Circular().adjust_plan(plan, options({{"circular-batch-growth", "0.5"}})); }),
            "--circular-batch-growth 0.5: must be a number of at least 1");
}

TEST(EarlyStop, ThresholdsFollowTheTaskAndUserValuesWin) {
  EXPECT_EQ(modes::thresholds(TaskType::instruction).patience, 3);
  EXPECT_DOUBLE_EQ(modes::thresholds(TaskType::instruction).overfitting, 0.10);
  EXPECT_DOUBLE_EQ(modes::thresholds(TaskType::instruction).perfect_loss, 0.01);
  EXPECT_EQ(modes::thresholds(TaskType::instruction).explosion, 0);
  EXPECT_EQ(modes::thresholds(TaskType::text_generation).patience, 5);
  EXPECT_DOUBLE_EQ(modes::thresholds(TaskType::text_generation).overfitting, 0.20);
  EXPECT_DOUBLE_EQ(modes::thresholds(TaskType::text_generation).perfect_loss, 0.5);
  EXPECT_DOUBLE_EQ(modes::thresholds(TaskType::text_generation).explosion, 2.0);

  modes::EarlyStop policy;
  TrainingPlan plan;
  plan.task = TaskType::text_generation;
  policy.adjust_plan(plan, options({{"patience", "7"}}));
  EXPECT_EQ(policy.active().patience, 7);
  EXPECT_DOUBLE_EQ(policy.active().overfitting, 0.20);
  EXPECT_EQ(policy.summary(),
            "early-stop (text-generation task): patience 7 evaluations, overfitting threshold 20%, perfect loss 0.5000, "
            "stop when validation perplexity exceeds 2x its best");
  EXPECT_EQ(refusal([&] { modes::EarlyStop().adjust_plan(plan, options({{"patience", "-1"}})); }),
            "--patience -1: must be at least 0");
  EXPECT_EQ(refusal([&] { modes::EarlyStop().adjust_plan(plan, options({{"overfitting-threshold", "-0.1"}})); }),
            "--overfitting-threshold -0.1: must be a number of at least 0");
  EXPECT_EQ(refusal([&] { modes::EarlyStop().adjust_plan(plan, options({{"perfect-loss", "-1"}})); }),
            "--perfect-loss -1: must be a number of at least 0");
}

TEST(EarlyStop, EachRuleStopsWithItsReason) {
  modes::EarlyStop policy;
  TrainingPlan plan;
  policy.adjust_plan(plan, options());
  // Improving: go on.
  EXPECT_EQ(policy.on_evaluation(evaluation(1, 1.0, 1.05)).action, Action::go_on);
  // Perfect loss, with or without validation data.
  auto perfect = policy.on_evaluation(evaluation(2, 0.009));
  EXPECT_EQ(perfect.action, Action::stop);
  EXPECT_EQ(perfect.reason, "perfect loss: training loss 0.0090 is at or below 0.0100 (--perfect-loss)");
  // Patience: the third evaluation without a better one.
  EXPECT_EQ(policy.on_evaluation(evaluation(3, 1.0, 1.06, 1.05, 2)).action, Action::go_on);
  auto patience = policy.on_evaluation(evaluation(4, 1.0, 1.06, 1.05, 3));
  EXPECT_EQ(patience.action, Action::stop);
  EXPECT_EQ(patience.reason, "no improvement: the validation loss has not beaten 1.0500 for 3 evaluations (--patience 3)");
  // Overfitting: 20% above the training loss and not the best; a best evaluation never stops on it.
  EXPECT_EQ(policy.on_evaluation(evaluation(5, 1.0, 1.2, 1.2, 0)).action, Action::go_on);
  auto overfit = policy.on_evaluation(evaluation(6, 1.0, 1.2, 1.1, 1));
  EXPECT_EQ(overfit.action, Action::stop);
  EXPECT_EQ(overfit.reason, "overfitting: validation loss 1.2000 is 20% above the training loss 1.0000 "
                            "(--overfitting-threshold 10%) and no longer improving");
  // Diverged.
  auto diverged = policy.on_evaluation(evaluation(7, std::nan("")));
  EXPECT_EQ(diverged.action, Action::stop);
  EXPECT_EQ(diverged.reason, "the training loss is nan: training diverged");
  // Instruction tasks have no perplexity rule: a jump alone (within patience and gap) goes on.
  EXPECT_EQ(policy.on_evaluation(evaluation(8, 3.0, 3.2, 1.0, 1)).action, Action::go_on);
}

TEST(EarlyStop, PerplexityExplosionForTextGeneration) {
  modes::EarlyStop policy;
  TrainingPlan plan;
  plan.task = TaskType::text_generation;
  policy.adjust_plan(plan, options({{"overfitting-threshold", "0"}}));
  EXPECT_EQ(policy.on_evaluation(evaluation(1, 3.0, 3.0 + 0.6, 3.0, 1)).action, Action::go_on);  // x1.82
  auto exploded = policy.on_evaluation(evaluation(2, 3.0, 3.0 + 0.7, 3.0, 2));                   // x2.01
  EXPECT_EQ(exploded.action, Action::stop);
  EXPECT_EQ(exploded.reason.rfind("perplexity explosion: validation perplexity 40.4473 is more than 2x the best 20.0855", 0), 0u)
      << exploded.reason;
  EXPECT_EQ(policy.on_evaluation(evaluation(3, 3.0, INFINITY, 3.0, 3)).action, Action::stop);
}

TEST(EarlyStop, ZeroTurnsARuleOff) {
  modes::EarlyStop policy;
  TrainingPlan plan;
  policy.adjust_plan(plan, options({{"patience", "0"}, {"overfitting-threshold", "0"}, {"perfect-loss", "0"}}));
  EXPECT_EQ(policy.on_evaluation(evaluation(1, 0.0, 5.0, 1.0, 50)).action, Action::go_on);
  EXPECT_NE(policy.summary().find("no patience rule, no overfitting rule, no perfect-loss rule"), std::string::npos);
}

TEST(Adaptive, HalvesTheLearningRateWhenValidationStallsAndTrainingStillFalls) {
  modes::Adaptive policy;
  EXPECT_EQ(policy.on_evaluation(evaluation(1, 2.0, 2.0)).action, Action::go_on);
  EXPECT_EQ(policy.on_evaluation(evaluation(2, 1.8, 1.999)).action, Action::go_on);  // a window not yet full
  auto d = policy.on_evaluation(evaluation(3, 1.6, 1.995));
  ASSERT_EQ(d.action, Action::adjust);
  EXPECT_EQ(d.learning_rate_scale, 0.5);
  EXPECT_EQ(d.batch_scale, 1.0);
  EXPECT_EQ(d.reason, "validation loss 1.9950 over the last 2 evaluations is less than 1% below 2.0000 before them while the "
                      "training loss still falls: halving the learning rate (now x0.5)");
  // The next trend starts after the change: two more evaluations before another one.
  EXPECT_EQ(policy.on_evaluation(evaluation(4, 1.5, 1.995)).action, Action::go_on);
  EXPECT_EQ(policy.on_evaluation(evaluation(5, 1.4, 1.995)).action, Action::adjust);
}

TEST(Adaptive, DoublesTheBatchWhenEverythingIsFlatAndStopsAtItsLimits) {
  modes::Adaptive policy;
  std::vector<std::pair<double, double>> changes;
  for (int i = 1; i <= 40; ++i) {
    auto d = policy.on_evaluation(evaluation(i, 3.0));  // no validation data: the training loss is watched
    if (d.action == Action::adjust) changes.emplace_back(d.learning_rate_scale, d.batch_scale);
  }
  // x2 three times (8x), then the learning rate four times (1/16), then one note that nothing is left.
  std::vector<std::pair<double, double>> want{{1, 2}, {1, 2}, {1, 2}, {0.5, 1}, {0.5, 1}, {0.5, 1}, {0.5, 1}, {1, 1}};
  EXPECT_EQ(changes, want);
}

TEST(Adaptive, ImprovingLossChangesNothing) {
  modes::Adaptive policy;
  double loss = 3.0;
  for (int i = 1; i <= 20; ++i, loss *= 0.95) EXPECT_EQ(policy.on_evaluation(evaluation(i, loss, loss)).action, Action::go_on);
}

}  // namespace
