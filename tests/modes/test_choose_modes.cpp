// The engine's side of the modes: which run, in which order, conflicts, the mode layer of the
// configuration, the task type and the plan.
#include <gtest/gtest.h>

#include "adaptive/adaptive.hpp"
#include "circular/circular.hpp"
#include "early-stop/early_stop.hpp"
#include "errors.hpp"
#include "force-epochs/force_epochs.hpp"
#include "presets/presets.hpp"
#include "train/modes.hpp"

namespace {

using namespace ftcore;

template <class T>
std::unique_ptr<StopPolicy> make() {
  return std::make_unique<T>();
}

/// A registry with the built-in modes, as the plugins register them.
const Registry& registry() {
  static Registry r;
  static bool filled = false;
  if (!filled) {
    Registry::Staging staged({"test", ""});
    modes::register_presets(staged);
    staged.add_stop_policy("adaptive", "", &make<modes::Adaptive>);
    staged.add_stop_policy("circular", "", &make<modes::Circular>);
    staged.add_stop_policy("force-epochs", "", &make<modes::ForceEpochs>);
    staged.add_stop_policy("early-stop", "", &make<modes::EarlyStop>);
    r.commit(std::move(staged));
    filled = true;
  }
  return r;
}

config::Config run_config(std::initializer_list<std::pair<const char*, const char*>> cli) {
  config::Config c;
  config::apply_defaults(c, config::kRun);
  for (const auto& [key, value] : cli) c.set_text(key, value, config::Layer::cli, std::string("--") + key);
  return c;
}

std::string usage_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ChooseModes, DefaultIsMediumWithEarlyStop) {
  auto c = run_config({});
  auto m = train::choose_modes(registry(), c);
  EXPECT_EQ(m.names, (std::vector<std::string>{"medium", "early-stop"}));
  ASSERT_EQ(m.policies.size(), 2u);
  EXPECT_EQ(m.policies[0]->name(), "medium");
  EXPECT_EQ(*c.number("epochs"), 3);
  EXPECT_EQ(c.find("epochs")->layer, config::Layer::mode);
}

TEST(ChooseModes, FlagsAddModesAndAutoStopFalseLeavesEarlyStopOut) {
  auto c = run_config({{"mode", "fast"}, {"circular", "true"}, {"force-epochs", "true"}, {"auto-stop", "false"}});
  auto m = train::choose_modes(registry(), c);
  EXPECT_EQ(m.names, (std::vector<std::string>{"fast", "circular", "force-epochs"}));
  EXPECT_EQ(*c.integer("patience"), 0);  // circular's default, at the mode layer
}

TEST(ChooseModes, UserValuesWinOverTheModeLayer) {
  auto c = run_config({{"mode", "slow"}, {"epochs", "2"}, {"circular", "true"}, {"patience", "4"}});
  train::choose_modes(registry(), c);
  EXPECT_EQ(*c.number("epochs"), 2);
  EXPECT_EQ(*c.integer("patience"), 4);
}

TEST(ChooseModes, UnknownRepeatedAndConflictingModesAreUsageErrors) {
  auto c1 = run_config({{"mode", "circulr"}});
  EXPECT_EQ(usage_error([&] { train::choose_modes(registry(), c1); }).rfind(
                "--mode: no training mode 'circulr' (did you mean 'circular'?); installed: adaptive, circular, early-stop, "
                "fast, force-epochs, medium, non-stop, slow",
                0),
            0u);
  auto c2 = run_config({{"mode", "fast,fast"}});
  EXPECT_EQ(usage_error([&] { train::choose_modes(registry(), c2); }), "--mode: mode 'fast' is given twice");
  auto c3 = run_config({{"mode", "slow,fast"}});
  EXPECT_EQ(usage_error([&] { train::choose_modes(registry(), c3); }),
            "modes 'slow' and 'fast' cannot run together: both set the epochs and the learning rate; pick one of slow, "
            "medium, fast, non-stop");
  auto c4 = run_config({{"mode", "non-stop"}, {"force-epochs", "true"}});
  EXPECT_NE(usage_error([&] { train::choose_modes(registry(), c4); }).find("non-stop has no epoch count to force"),
            std::string::npos);
  auto c5 = run_config({{"mode", "non-stop,circular"}});
  EXPECT_NE(usage_error([&] { train::choose_modes(registry(), c5); }).find("cannot run together"), std::string::npos);
}

TEST(ChooseModes, CombinationsThatMakeSenseAreAccepted) {
  for (const char* modes : {"fast,force-epochs", "circular,force-epochs", "adaptive", "slow,adaptive", "non-stop,adaptive",
                            "medium,circular"}) {
    auto c = run_config({{"mode", modes}});
    EXPECT_EQ(usage_error([&] { train::choose_modes(registry(), c); }), "no error") << modes;
  }
}

TEST(MakePlan, ModesAdjustInOrderAndUserEpochsAreNotOverridden) {
  auto c = run_config({{"mode", "fast,force-epochs"}});
  auto m = train::choose_modes(registry(), c);
  auto plan = train::make_plan(m, c, TaskType::instruction);
  EXPECT_EQ(plan.epochs, 1);
  EXPECT_EQ(plan.learning_rate_scale, 2);
  EXPECT_FALSE(plan.auto_stop);

  auto c2 = run_config({{"mode", "circular"}, {"epochs", "5"}});
  auto m2 = train::choose_modes(registry(), c2);
  EXPECT_EQ(usage_error([&] { train::make_plan(m2, c2, TaskType::instruction); }),
            "--epochs 5: mode 'circular' sets the number of epochs itself (100); leave out --epochs (docs/modes.md says "
            "which option the mode takes instead)");
  auto c3 = run_config({{"circular", "true"}, {"max-circular-epochs", "0"}});
  auto m3 = train::choose_modes(registry(), c3);
  EXPECT_EQ(usage_error([&] { train::make_plan(m3, c3, TaskType::instruction); }),
            "--max-circular-epochs 0: must be at least 1 (mode 'circular')");
}

TEST(DetectTask, PlainTextMeansTextGeneration) {
  Sample chat, text;
  text.kind = Sample::Kind::text;
  EXPECT_EQ(train::detect_task({chat, text, text}, "auto"), TaskType::text_generation);
  EXPECT_EQ(train::detect_task({chat, chat, text}, "auto"), TaskType::instruction);
  EXPECT_EQ(train::detect_task({text}, "instruction"), TaskType::instruction);
  EXPECT_EQ(train::detect_task({chat}, "text-generation"), TaskType::text_generation);
}

}  // namespace
