#pragma once
// The training loop: micro-batches accumulated into optimizer steps (loss normalised by the
// trained tokens of the whole step), gradient clipping, the learning-rate schedule, evaluation,
// logging (console, metrics.jsonl, TensorBoard, training_history.png), checkpoints that resume
// exactly, and a clean save on SIGINT/SIGTERM. At every evaluation the training modes (StopPolicy)
// are asked whether to go on, stop, or change the learning rate or the batch; the best checkpoint
// is restored at the end. In a distributed run (a dist::Group), every rank trains on its share of
// each step's micro-batches, gradients are summed over the ranks, and rank 0 alone writes.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dist/group.hpp"
#include "ftcore/nn/modules.hpp"
#include "ftcore/stop_policy.hpp"
#include "ftcore/training_method.hpp"
#include "train/batches.hpp"
#include "train/checkpoints.hpp"
#include "train/examples.hpp"
#include "train/schedule.hpp"

namespace ftcore::train {

struct TrainerSettings {
  std::int64_t batch_size = 1;
  std::int64_t grad_accum = 1;  ///< per rank: a step takes grad_accum x ranks micro-batches
  std::int64_t max_length = 2048;
  bool packing = false;
  double epochs = 3;  ///< <= 0: no limit (runs until interrupted, or --max-steps)
  std::optional<std::int64_t> max_steps;
  double learning_rate = 2e-4;
  double weight_decay = 0.0;
  double max_grad_norm = 1.0;
  double adam_beta1 = 0.9, adam_beta2 = 0.999, adam_epsilon = 1e-8;
  std::string optimizer = "adamw_torch";  ///< a name of train::optimizer_names()
  ScheduleKind schedule = ScheduleKind::cosine;
  std::optional<std::int64_t> warmup_steps;
  std::optional<double> warmup_ratio;
  std::int64_t logging_steps = 10;
  std::optional<std::int64_t> eval_steps;  ///< default: evaluations_per_epoch
  std::optional<std::int64_t> save_steps;  ///< default: at every evaluation
  std::int64_t save_total_limit = 3;  ///< 0: every checkpoint is kept (the command line asks for at least 1)
  std::uint64_t seed = 42;
  bool fp16 = false;  ///< dynamic loss scaling

  // From the modes' plan (train/modes.hpp).
  std::int64_t evaluations_per_epoch = 1;
  double batch_growth = 1.0;         ///< grad_accum x batch_growth^epoch ...
  double max_batch_scale = 1.0;      ///< ... up to this multiple
  bool auto_stop = true;             ///< a policy's stop ends the run (else it is only reported)
  bool finish_on_interrupt = false;  ///< SIGINT ends the run like its last step (non-stop)
  bool restore_best = true;          ///< end with the best checkpoint's trainable weights
  bool perplexity = false;           ///< status lines show the validation perplexity (text generation)

  // Monitoring.
  bool tensorboard_events = true;
  bool progress_bar = false;  ///< a status line redrawn at every step (a terminal)
  bool checkpoints = true;    ///< false: nothing saved (ftcore bench), so no resume either
};

/// Where one optimizer step's time went (seconds): collating batches, the forward pass with the
/// loss, backward, and the optimizer (unscaling, clipping, the update, zeroing the gradients).
struct StepTimes {
  double data = 0, forward = 0, backward = 0, optimizer = 0;
  std::int64_t tokens = 0;  ///< tokens of this rank's batches of the step (padding included)
  double total() const { return data + forward + backward + optimizer; }
};

struct TrainResult {
  std::int64_t steps = 0;
  std::int64_t total_steps = 0;
  std::optional<double> train_loss;  ///< over the last logging window
  std::optional<double> val_loss;    ///< of the last evaluation
  std::optional<double> best_val_loss;
  std::int64_t best_step = 0;
  bool interrupted = false;  ///< by SIGINT/SIGTERM (with finish_on_interrupt the outputs are due anyway)
  std::string stop_reason;   ///< "mode: why" when a policy ended the run
  std::optional<std::int64_t> restored_best_step;
  double epoch = 0;          ///< where the run ended
  double seconds = 0;
  std::int64_t tokens = 0;
  std::vector<StepTimes> step_times;  ///< one per step of this run (not those before a resume)
  std::int64_t optimizer_state_bytes = 0;  ///< the optimizer's state tensors at the end
};

/// Set by SIGINT/SIGTERM while a Trainer runs; the loop saves and stops after the current step.
std::atomic<bool>& stop_requested();

class Trainer {
 public:
  /// `group`: the ranks of a distributed run (nullptr: this process alone).
  Trainer(nn::CausalLM& network, MethodRun& method, const std::vector<Example>& train, const std::vector<Example>& validation,
          std::int32_t pad_id, TrainerSettings settings, OutputLayout layout, SaveInfo save_info,
          std::vector<StopPolicy*> policies = {}, dist::Group* group = nullptr);
  ~Trainer();

  /// Optimizer steps a run of these settings makes (0: no limit). A mode that grows the batch
  /// later (adaptive) lowers it.
  std::int64_t total_steps() const;
  /// Trains, from the start or from a checkpoint folder.
  TrainResult run(const std::optional<std::filesystem::path>& resume_from);

  /// The loss (mean cross-entropy per trained token) of the validation examples.
  double evaluate();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ftcore::train
