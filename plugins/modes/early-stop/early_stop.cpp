#include "early-stop/early_stop.hpp"

#include <cmath>

#include "common/mode_options.hpp"

namespace ftcore::modes {

StopThresholds thresholds(TaskType task) {
  switch (task) {
    case TaskType::instruction: return {3, 0.10, 0.01, 0.0};
    case TaskType::text_generation: return {5, 0.20, 0.5, 2.0};
  }
  return {3, 0.10, 0.01, 0.0};
}

void EarlyStop::adjust_plan(TrainingPlan& plan, const Options& options) {
  task_ = plan.task;
  applied_ = plan.auto_stop;
  active_ = thresholds(task_);
  if (auto patience = integer_at_least(options, "patience", 0)) active_.patience = *patience;
  if (auto overfitting = number_at_least(options, "overfitting-threshold", 0.0)) active_.overfitting = *overfitting;
  if (auto perfect = number_at_least(options, "perfect-loss", 0.0)) active_.perfect_loss = *perfect;
}

std::string EarlyStop::summary() const {
  std::string out = std::string("early-stop (") + task_type_name(task_) + " task" +
                    (applied_ ? "" : "; reported only, auto-stop is off") + "): ";
  out += active_.patience > 0 ? "patience " + std::to_string(active_.patience) + " evaluations" : "no patience rule";
  out += active_.overfitting > 0 ? ", overfitting threshold " + percent(active_.overfitting) : ", no overfitting rule";
  out += active_.perfect_loss > 0 ? ", perfect loss " + loss_text(active_.perfect_loss) : ", no perfect-loss rule";
  if (active_.explosion > 0) out += ", stop when validation perplexity exceeds " + number_text(active_.explosion) + "x its best";
  return out;
}

StopDecision EarlyStop::on_evaluation(const Evaluation& e) {
  auto stop = [](std::string reason) {
    StopDecision decision;
    decision.action = StopDecision::Action::stop;
    decision.reason = std::move(reason);
    return decision;
  };
  if (!std::isfinite(e.train_loss)) return stop("the training loss is " + loss_text(e.train_loss) + ": training diverged");
  if (active_.perfect_loss > 0 && e.train_loss <= active_.perfect_loss)
    return stop("perfect loss: training loss " + loss_text(e.train_loss) + " is at or below " + loss_text(active_.perfect_loss) +
                " (--perfect-loss)");
  if (!e.val_loss) return {};
  const double val = *e.val_loss;
  const double best = e.best_val_loss.value_or(val);
  if (active_.explosion > 0 && (!std::isfinite(val) || std::exp(val - best) > active_.explosion))
    return stop("perplexity explosion: validation perplexity " + loss_text(std::exp(val)) + " is more than " +
                number_text(active_.explosion) + "x the best " + loss_text(std::exp(best)));
  if (active_.patience > 0 && e.evaluations_since_best >= active_.patience)
    return stop("no improvement: the validation loss has not beaten " + loss_text(best) + " for " +
                std::to_string(e.evaluations_since_best) + " evaluations (--patience " + std::to_string(active_.patience) +
                ")");
  if (active_.overfitting > 0 && e.evaluations_since_best > 0 && e.train_loss > 0) {
    const double gap = (val - e.train_loss) / e.train_loss;
    if (gap > active_.overfitting)
      return stop("overfitting: validation loss " + loss_text(val) + " is " + percent(gap) + " above the training loss " +
                  loss_text(e.train_loss) + " (--overfitting-threshold " + percent(active_.overfitting) +
                  ") and no longer improving");
  }
  return {};
}

}  // namespace ftcore::modes
