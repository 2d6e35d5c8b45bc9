#pragma once
// What a person watching training reads: the progress bar (on a terminal) and the status line
// printed at every evaluation. Pure formatting; the trainer decides when to show them.
#include <cstdint>
#include <optional>
#include <string>

namespace ftcore::monitor {

/// "00:15:32" (hours grow past 99 as needed).
std::string clock_text(double seconds);

struct ProgressState {
  std::int64_t step = 0;
  std::optional<std::int64_t> total;  ///< absent when the run has no step limit (non-stop)
  double epoch = 0;
  std::optional<double> loss;         ///< of the last logged window
  double tokens_per_second = 0;
  double elapsed = 0;                 ///< seconds since this process started training
  std::int64_t steps_this_run = 0;    ///< steps taken by this process (for the ETA)
};

/// "[██████░░░░░░░░] 45/100 steps | epoch 1.35 | loss 0.5234 | 1234 tok/s | 00:01:23 < 00:01:41",
/// the bar `width` cells wide; without a total: "step 45 | epoch 1.35 | ... | 00:01:23".
std::string progress_bar(const ProgressState& state, int width = 24);

struct EvaluationStatus {
  std::int64_t index = 0;
  double elapsed = 0;
  double train_loss = 0;
  std::optional<double> val_loss, best_val_loss;
  std::int64_t since_best = 0;  ///< evaluations without a better validation loss
  bool perplexity = false;      ///< text generation: add the validation perplexity
};

/// "Evaluation #7 | Time 00:15:32 | Train loss 0.5234 | Val loss 0.6123 | Best val 0.5890 | Patience 1"
/// (" | Perplexity 1.84" for text generation; only the training loss without validation data).
std::string evaluation_status(const EvaluationStatus& status);

}  // namespace ftcore::monitor
