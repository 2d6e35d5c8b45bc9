#pragma once
// Gradient checkpointing (activation recomputation) of one decoder layer.

#include <memory>

#include <torch/torch.h>

#include "ftcore/nn/modules.hpp"

namespace ftcore::nn {

/// layer->forward(x, context), keeping only x for backward instead of the layer's activations.
///
/// The forward runs without grad; backward runs it again with grad (on a detached copy of x, with
/// the CPU generator, and the CUDA one for CUDA tensors, in the state they had before the forward,
/// so dropout draws the same mask) and back-propagates the incoming gradient to x and to every
/// parameter of the layer that required grad when the forward ran (adapters swapped in included).
/// The generators are left as they were before the recomputation. As torch.utils.checkpoint's
/// reentrant variant: no double backward. context.cache must be null (std::invalid_argument).
torch::Tensor checkpointed_forward(const std::shared_ptr<DecoderLayer>& layer, const torch::Tensor& x,
                                   const LayerContext& context);

}  // namespace ftcore::nn
