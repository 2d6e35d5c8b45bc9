#pragma once
// Examples to micro-batches. Each epoch shuffles the examples (seeded by seed and epoch, so a
// resumed run sees the same order), then either packs them into rows of at most max_length tokens
// (positions restart and attention stays inside each example) or groups similar lengths together
// (transformers' LengthGroupedSampler: megabatches of 50 batches sorted by length, the batches
// then in a seeded random order) and pads.
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "train/examples.hpp"

namespace ftcore::train {

/// Deterministic on every platform (splitmix64 + Fisher-Yates), unlike std::shuffle.
std::vector<std::size_t> shuffled(std::size_t count, std::uint64_t seed);

struct Batching {
  std::int64_t batch_size = 1;   ///< rows per micro-batch
  std::int64_t max_length = 2048;
  bool packing = false;
  bool shuffle = true;           ///< false for evaluation: examples in order
  std::uint64_t seed = 42;
};

using Row = std::vector<std::size_t>;  ///< example indices: one, or several when packing
using MicroBatch = std::vector<Row>;

std::vector<MicroBatch> plan_epoch(const std::vector<Example>& examples, const Batching& batching, std::int64_t epoch);

/// One forward pass's tensors.
struct Batch {
  torch::Tensor input_ids;       ///< [B, T]
  torch::Tensor labels;          ///< [B, T]: the token where it trains, -100 elsewhere
  torch::Tensor attention_mask;  ///< [B, T] when padded; undefined when packed
  torch::Tensor position_ids;    ///< [B, T] when packed
  torch::Tensor segment_ids;     ///< [B, T] when packed
  std::int64_t tokens = 0;       ///< real (not padding) tokens
  std::int64_t targets = 0;      ///< labels that train
};

/// Pads with `pad_id` (its label -100); a packed row is padded at its end as a segment of its own.
Batch collate(const std::vector<Example>& examples, const MicroBatch& batch, std::int32_t pad_id);

/// Number of trained labels a planned micro-batch will have (for normalising accumulated losses).
std::int64_t count_targets(const std::vector<Example>& examples, const MicroBatch& batch);

}  // namespace ftcore::train
