#include "train/loss.hpp"

namespace ftcore::train {

namespace {

constexpr std::int64_t kChunk = 4096;  // rows of logits computed at once

nn::Batch model_inputs(const Batch& batch) {
  nn::Batch in;
  in.input_ids = batch.input_ids;
  in.attention_mask = batch.attention_mask;
  in.position_ids = batch.position_ids;
  in.segment_ids = batch.segment_ids;
  return in;
}

}  // namespace

torch::Tensor loss_sum(nn::CausalLM& network, const Batch& batch) {
  auto hidden = network.hidden_states(model_inputs(batch));
  const auto width = hidden.size(-1);
  auto predictors = hidden.narrow(1, 0, hidden.size(1) - 1).reshape({-1, width});
  auto targets = batch.labels.narrow(1, 1, batch.labels.size(1) - 1).reshape({-1});
  auto keep = (targets != -100).nonzero().squeeze(1);
  predictors = predictors.index_select(0, keep);
  targets = targets.index_select(0, keep);
  auto total = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat32));
  for (std::int64_t start = 0; start < predictors.size(0); start += kChunk) {
    const auto n = std::min(kChunk, predictors.size(0) - start);
    auto logits = network.logits(predictors.narrow(0, start, n)).to(torch::kFloat32);
    total = total + torch::nn::functional::cross_entropy(
                        logits, targets.narrow(0, start, n),
                        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  }
  return total;
}

}  // namespace ftcore::train
