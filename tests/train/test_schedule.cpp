// Learning-rate schedules against transformers 4.46's get_scheduler objects, and warmup steps
// against TrainingArguments.get_warmup_steps (data/schedules.json, from data/make_fixtures.py).
#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "optim_fixtures.hpp"
#include "train/schedule.hpp"

using namespace ftcore::train;
using ftcore::testing::error_of;

TEST(Schedule, EqualsTransformersSchedulers) {
  const auto fixture = ftcore::testing::train_json("schedules.json");
  std::set<std::string> seen;
  for (const auto& c : fixture["schedules"]) {
    Schedule s;
    s.kind = parse_schedule(c["kind"].get<std::string>());
    s.warmup_steps = c["warmup"].get<std::int64_t>();
    s.total_steps = c["total"].get<std::int64_t>();
    s.base_lr = c["base_lr"].get<double>();
    seen.insert(c["kind"].get<std::string>() + (s.warmup_steps > 0 ? "+warmup" : ""));
    const auto& lrs = c["lrs"];
    for (std::size_t step = 0; step < lrs.size(); ++step) {
      const double expected = lrs[step].get<double>();
      const double actual = learning_rate(s, static_cast<std::int64_t>(step));
      EXPECT_LE(std::abs(actual - expected), 1e-9 * std::abs(expected))
          << c["kind"] << " warmup " << s.warmup_steps << " total " << s.total_steps << " step " << step << ": "
          << actual << " vs " << expected;
    }
  }
  EXPECT_EQ(seen.size(), 8U) << "every kind with and without warmup";
}

TEST(Schedule, WarmupStepsAsTrainingArguments) {
  const auto fixture = ftcore::testing::train_json("schedules.json");
  for (const auto& c : fixture["warmup_steps"]) {
    const auto steps = c["steps"].get<std::int64_t>();
    const auto ratio = c["ratio"].get<double>();
    const auto total = c["total"].get<std::int64_t>();
    EXPECT_EQ(warmup_steps(steps, ratio, total), c["expected"].get<std::int64_t>()) << c.dump();
    if (steps == 0) EXPECT_EQ(warmup_steps(std::nullopt, ratio, total), c["expected"].get<std::int64_t>()) << c.dump();
  }
  EXPECT_EQ(warmup_steps(std::nullopt, std::nullopt, 100), 0);
  EXPECT_EQ(warmup_steps(7, std::nullopt, 100), 7);
  EXPECT_EQ(warmup_steps(std::nullopt, 0.1, 7), 1);  // ceil(0.7)
  EXPECT_THROW(warmup_steps(-1, std::nullopt, 10), std::invalid_argument);
  EXPECT_THROW(warmup_steps(std::nullopt, 1.5, 10), std::invalid_argument);
}

TEST(Schedule, NamesAndErrors) {
  for (const char* name : {"constant", "linear", "cosine", "polynomial"})
    EXPECT_STREQ(schedule_name(parse_schedule(name)), name);
  const auto message = error_of([] { parse_schedule("cosine_with_restarts"); });
  EXPECT_NE(message.find("'cosine_with_restarts'"), std::string::npos) << message;
  EXPECT_NE(message.find("constant, linear, cosine, polynomial"), std::string::npos) << message;
  EXPECT_THROW(parse_schedule("Linear"), std::invalid_argument);

  // Polynomial: transformers rejects an initial lr not above lr_end (1e-7).
  Schedule poly{ScheduleKind::polynomial, 0, 10, 1e-7};
  EXPECT_NE(error_of([&] { learning_rate(poly, 0); }).find("lr_end"), std::string::npos);
  // Where transformers would divide by zero (warmup == total), the decay is over: lr_end.
  poly = Schedule{ScheduleKind::polynomial, 4, 4, 1e-3};
  EXPECT_DOUBLE_EQ(learning_rate(poly, 3), 1e-3 * 3 / 4);
  EXPECT_NEAR(learning_rate(poly, 4), 1e-7, 1e-20);
  // Past the end: linear and cosine stay at 0.
  EXPECT_EQ(learning_rate(Schedule{ScheduleKind::linear, 0, 10, 1e-3}, 25), 0.0);
  EXPECT_GE(learning_rate(Schedule{ScheduleKind::cosine, 0, 10, 1e-3}, 10), 0.0);
}
