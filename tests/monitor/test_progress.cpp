// The progress bar and the evaluation status line, as a person reads them.
#include <gtest/gtest.h>

#include "monitor/progress.hpp"

namespace {

using namespace ftcore::monitor;

TEST(Progress, ClockText) {
  EXPECT_EQ(clock_text(0), "00:00:00");
  EXPECT_EQ(clock_text(932.7), "00:15:32");
  EXPECT_EQ(clock_text(100 * 3600 + 61), "100:01:01");
  EXPECT_EQ(clock_text(-5), "00:00:00");
}

TEST(Progress, BarWithTotalShowsStepsLossSpeedAndEta) {
  ProgressState s;
  s.step = 45;
  s.total = 100;
  s.epoch = 1.35;
  s.loss = 0.52341;
  s.tokens_per_second = 1234.4;
  s.elapsed = 83;
  s.steps_this_run = 45;
  const std::string bar = progress_bar(s, 20);
  const std::string cells = "\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u2591\u2591\u2591\u2591\u2591\u2591\u2591\u2591"
                            "\u2591\u2591\u2591";
  EXPECT_EQ(bar, "[" + cells + "] 45/100 steps | epoch 1.35 | loss 0.5234 | 1234 tok/s | 00:01:23 < 00:01:41");
}

TEST(Progress, BarWithoutTotalHasNoEta) {
  ProgressState s;
  s.step = 7;
  s.elapsed = 3;
  s.steps_this_run = 7;
  EXPECT_EQ(progress_bar(s), "step 7 | epoch 0.00 | 0 tok/s | 00:00:03");
}

TEST(Progress, EvaluationStatusLine) {
  EvaluationStatus s{7, 932, 0.5234, 0.6123, 0.5890, 1, false};
  EXPECT_EQ(evaluation_status(s),
            "Evaluation #7 | Time 00:15:32 | Train loss 0.5234 | Val loss 0.6123 | Best val 0.5890 | Patience 1");
  s.perplexity = true;
  EXPECT_EQ(evaluation_status(s), "Evaluation #7 | Time 00:15:32 | Train loss 0.5234 | Val loss 0.6123 | Best val 0.5890 | "
                                  "Patience 1 | Perplexity 1.84");
  EvaluationStatus no_validation{2, 3, 1.25, std::nullopt, std::nullopt, 0, true};
  EXPECT_EQ(evaluation_status(no_validation), "Evaluation #2 | Time 00:00:03 | Train loss 1.2500");
}

}  // namespace
