#include "adaptive/adaptive.hpp"

#include <algorithm>

#include "common/mode_options.hpp"

namespace ftcore::modes {

namespace {

double lowest(const std::vector<double>& values, std::size_t from, std::size_t to) {
  return *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(from), values.begin() + static_cast<std::ptrdiff_t>(to));
}

}  // namespace

std::string Adaptive::summary() const {
  return "adaptive: on a plateau (less than " + percent(kMinImprovement) + " better over " + std::to_string(kWindow) +
         " evaluations) halve the learning rate (down to x" + number_text(kMinLearningRateScale) +
         ") or double the effective batch (up to x" + number_text(kMaxBatchScale) + ")";
}

StopDecision Adaptive::on_evaluation(const Evaluation& e) {
  monitored_.push_back(e.val_loss.value_or(e.train_loss));
  train_.push_back(e.train_loss);
  const std::size_t n = monitored_.size();
  if (n < since_ + kWindow + 1) return {};  // a baseline and a full window after the last change
  const std::size_t recent = n - kWindow;
  const double before = lowest(monitored_, since_, recent), now = lowest(monitored_, recent, n);
  if (now < before * (1 - kMinImprovement)) return {};
  const bool train_falls = lowest(train_, recent, n) < lowest(train_, since_, recent) * (1 - kMinImprovement);
  const bool lr_left = lr_scale_ * 0.5 >= kMinLearningRateScale, batch_left = batch_scale_ * 2 <= kMaxBatchScale;
  if (!lr_left && !batch_left) {
    if (exhausted_) return {};
    exhausted_ = true;
    StopDecision note;
    note.action = StopDecision::Action::adjust;
    note.reason = "the loss is flat again, but the learning rate (x" + number_text(lr_scale_) + ") and the batch (x" +
                  number_text(batch_scale_) + ") are at their limits: nothing left to adjust";
    return note;
  }
  const std::string what = e.val_loss ? "validation loss" : "training loss";
  std::string reason = what + " " + loss_text(now) + " over the last " + std::to_string(kWindow) +
                       " evaluations is less than " + percent(kMinImprovement) + " below " + loss_text(before) + " before them";
  const bool lower_lr = (e.val_loss && train_falls && lr_left) || !batch_left;
  StopDecision decision;
  decision.action = StopDecision::Action::adjust;
  if (lower_lr) {
    lr_scale_ *= 0.5;
    decision.learning_rate_scale = 0.5;
    decision.reason = reason + (e.val_loss && train_falls ? " while the training loss still falls" : "") +
                      ": halving the learning rate (now x" + number_text(lr_scale_) + ")";
  } else {
    batch_scale_ *= 2;
    decision.batch_scale = 2;
    decision.reason = reason + ": doubling the effective batch (now x" + number_text(batch_scale_) + ")";
  }
  since_ = n - 1;  // this evaluation is the next trend's baseline
  return decision;
}

}  // namespace ftcore::modes
