#pragma once
// Gradient clipping and dynamic loss scaling, as torch computes them.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace ftcore::train {

/// torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=2): the 2-norm of all grads together
/// (each grad's norm in fp32, then the norm of those), clip_coef = max_norm / (total + 1e-6), every
/// grad multiplied by min(clip_coef, 1). Returns the total norm before clipping; 0 when no param has
/// a grad. max_norm <= 0 only computes the norm. A non-finite total is returned as is and the grads
/// are left untouched (torch would scale them by the non-finite coefficient).
double clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm);

/// Dynamic loss scaling for fp16, as torch.cuda.amp.GradScaler with its defaults: scale 65536
/// (fp32), growth factor 2, backoff 0.5, growth interval 2000. Per optimizer step: multiply the loss
/// by scale(), backward, unscale_and_check(); when it returns true, step the optimizer and call
/// update_after_step(); when it returns false, skip the step (the scale has already backed off, and
/// update_after_step() does nothing until the next check). Disabled: scale 1, no checks, always true.
class LossScaler {
 public:
  explicit LossScaler(bool enabled);
  bool enabled() const { return enabled_; }
  double scale() const;
  /// Multiplies every grad by 1/scale in place (in fp32, rounded back into the grad's dtype) and
  /// reports whether all grads were finite before unscaling; on inf/nan the scale is halved and the
  /// growth tracker reset.
  bool unscale_and_check(const std::vector<torch::Tensor>& params);
  /// After a step that was taken: counts it, and doubles the scale after growth_interval in a row
  /// (unless the doubled scale would not be finite in fp32).
  void update_after_step();
  std::int64_t growth_tracker() const { return growth_tracker_; }
  nlohmann::json state() const;
  void load_state(const nlohmann::json& state);  // std::invalid_argument for a malformed state

  static constexpr float kInitScale = 65536.0F;
  static constexpr double kGrowthFactor = 2.0, kBackoffFactor = 0.5;
  static constexpr std::int64_t kGrowthInterval = 2000;

 private:
  bool enabled_;
  float scale_ = kInitScale;
  std::int64_t growth_tracker_ = 0;
  bool backed_off_ = false;  // the last check found inf/nan: update_after_step() is a no-op
};

}  // namespace ftcore::train
