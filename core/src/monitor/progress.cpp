#include "monitor/progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "util/text.hpp"

namespace ftcore::monitor {

std::string clock_text(double seconds) {
  const auto total = static_cast<std::int64_t>(std::max(0.0, std::isfinite(seconds) ? seconds : 0.0));
  char text[48];
  std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  return text;
}

std::string progress_bar(const ProgressState& s, int width) {
  std::string out;
  if (s.total && *s.total > 0) {
    const double done = std::clamp(static_cast<double>(s.step) / static_cast<double>(*s.total), 0.0, 1.0);
    const int filled = static_cast<int>(std::floor(done * width));
    out += "[";
    for (int i = 0; i < width; ++i) out += i < filled ? "\u2588" : "\u2591";
    out += "] " + std::to_string(s.step) + "/" + std::to_string(*s.total) + " steps";
  } else {
    out += "step " + std::to_string(s.step);
  }
  out += " | epoch " + text::format_number("%.2f", s.epoch);
  if (s.loss) out += " | loss " + text::format_number("%.4f", *s.loss);
  out += " | " + text::format_number("%.0f", s.tokens_per_second) + " tok/s | " + clock_text(s.elapsed);
  if (s.total && s.steps_this_run > 0 && s.step < *s.total) {
    const double per_step = s.elapsed / static_cast<double>(s.steps_this_run);
    out += " < " + clock_text(per_step * static_cast<double>(*s.total - s.step));
  }
  return out;
}

std::string evaluation_status(const EvaluationStatus& s) {
  std::string out = "Evaluation #" + std::to_string(s.index) + " | Time " + clock_text(s.elapsed) + " | Train loss " +
                    text::format_number("%.4f", s.train_loss);
  if (s.val_loss) {
    out += " | Val loss " + text::format_number("%.4f", *s.val_loss);
    if (s.best_val_loss) out += " | Best val " + text::format_number("%.4f", *s.best_val_loss);
    out += " | Patience " + std::to_string(s.since_best);
    if (s.perplexity) out += " | Perplexity " + text::format_number("%.2f", std::exp(*s.val_loss));
  }
  return out;
}

}  // namespace ftcore::monitor
