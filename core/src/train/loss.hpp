#pragma once
// The causal language-modelling loss: hidden state t predicts token t + 1; only positions whose
// label trains count. Logits are computed for those positions only, in chunks, and the
// cross-entropy in fp32, so no [tokens x vocabulary] fp32 tensor of the whole batch is made.
#include <torch/torch.h>

#include "ftcore/nn/modules.hpp"
#include "train/batches.hpp"

namespace ftcore::train {

/// The sum (not the mean) of the cross-entropy over the batch's trained labels, fp32 scalar.
torch::Tensor loss_sum(nn::CausalLM& network, const Batch& batch);

}  // namespace ftcore::train
