#pragma once
// The causal language-modelling loss: hidden state t predicts token t + 1; only positions whose
// label trains count. Logits are computed for those positions only, in chunks, with the
// cross-entropy in fp32 and its gradient made in the same pass, so no [tokens x vocabulary] tensor
// of the whole batch is made or kept for backward.
#include <torch/torch.h>

#include "ftcore/nn/modules.hpp"
#include "train/batches.hpp"

namespace ftcore::train {

/// The sum (not the mean) of the cross-entropy over the batch's trained labels, fp32 scalar. The
/// batch (collated on the CPU) goes to the device of the network's output head.
torch::Tensor loss_sum(nn::CausalLM& network, const Batch& batch);

/// sum_i cross_entropy(hidden[i] weight^T, targets[i]) for hidden [rows, width], weight [vocabulary,
/// width], targets [rows] (int64, every one trained): differentiable in hidden and weight. Rows go
/// `chunk_rows` at a time (0: as many as make 8M logits).
torch::Tensor linear_cross_entropy_sum(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets,
                                       std::int64_t chunk_rows = 0);

}  // namespace ftcore::train
