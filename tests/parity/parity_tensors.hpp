#pragma once
// Tensor comparisons shared by the parity tests that compute logits.
#include <torch/torch.h>

namespace ftcore::parity {

/// Largest |a - b| over the positions where `mask` [batch, length] is set (the real, unpadded tokens
/// of a padded batch); a and b are [batch, length, ...].
inline double max_diff_where(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& mask) {
  auto keep = mask.to(torch::kBool).unsqueeze(-1).expand_as(a);
  return (a - b).abs().masked_select(keep).max().item<double>();
}

}  // namespace ftcore::parity
