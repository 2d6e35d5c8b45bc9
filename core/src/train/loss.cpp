#include "train/loss.hpp"

#include <algorithm>

namespace ftcore::train {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr std::int64_t kChunkElements = std::int64_t{1} << 23;  // logits made at once: 8M (32 MiB in fp32)

/// The summed cross-entropy of logits = hidden weight^T against `targets`, a chunk of rows at a
/// time. Each chunk's logits are made in the activation dtype (as the output head computes them),
/// taken to fp32 for the log-sum-exp, and dropped: the forward pass turns them into their gradient
/// right away (softmax minus the one-hot target), multiplies that into the gradients of the hidden
/// states (and of the weight when it trains), and backward only scales those by the incoming
/// gradient. No [rows x vocabulary] tensor outlives its chunk, and none is zero-filled or kept.
class LinearCrossEntropy : public torch::autograd::Function<LinearCrossEntropy> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& hidden, const torch::Tensor& weight,
                               const torch::Tensor& targets, std::int64_t chunk_rows, bool grad_mode) {
    const std::int64_t rows = hidden.size(0);
    const std::int64_t chunk = chunk_rows > 0 ? chunk_rows : std::max<std::int64_t>(1, kChunkElements / weight.size(0));
    // (forward runs with gradients off: whether the caller records them is `grad_mode`)
    const bool hidden_grad = grad_mode && hidden.requires_grad(), weight_grad = grad_mode && weight.requires_grad();
    torch::Tensor grad_hidden = hidden_grad ? torch::empty_like(hidden) : torch::Tensor();
    torch::Tensor grad_weight = weight_grad ? torch::zeros(weight.sizes(), weight.options().dtype(torch::kFloat32)) : torch::Tensor();
    auto loss = torch::zeros({}, hidden.options().dtype(torch::kFloat32));
    for (std::int64_t start = 0; start < rows; start += chunk) {
      const auto n = std::min(chunk, rows - start);
      auto h = hidden.narrow(0, start, n);
      auto t = targets.narrow(0, start, n).unsqueeze(1);
      auto logits = torch::mm(h, weight.t()).to(torch::kFloat32);
      auto lse = torch::logsumexp(logits, 1, /*keepdim=*/true);
      loss += (lse - logits.gather(1, t)).sum();
      if (!hidden_grad && !weight_grad) continue;
      auto grad = logits.sub_(lse).exp_();  // softmax
      grad.scatter_add_(1, t, torch::full({n, 1}, -1.0, grad.options()));
      auto g = grad.to(hidden.scalar_type());
      if (hidden_grad) {
        auto rows_out = grad_hidden.narrow(0, start, n);
        torch::mm_out(rows_out, g, weight);
      }
      if (weight_grad) grad_weight.add_(torch::mm(g.t(), h));
    }
    ctx->save_for_backward({grad_hidden, grad_weight});
    ctx->saved_data["weight_dtype"] = weight.scalar_type();
    return loss;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& scale = grad_outputs[0];  // a 0-dim fp32 tensor: the product keeps the gradient's dtype
    auto grad_hidden = saved[0].defined() ? saved[0] * scale : torch::Tensor();
    auto grad_weight = saved[1].defined() ? (saved[1] * scale).to(ctx->saved_data["weight_dtype"].toScalarType())
                                          : torch::Tensor();  // summed in fp32, handed back in the weight's dtype
    return {grad_hidden, grad_weight, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

/// A tensor of the batch (collated on the CPU) on the network's device; undefined stays undefined.
torch::Tensor on(const torch::Tensor& t, const torch::Device& device) { return t.defined() ? t.to(device) : t; }

nn::Batch model_inputs(const Batch& batch, const torch::Device& device) {
  nn::Batch in;
  in.input_ids = on(batch.input_ids, device);
  in.attention_mask = on(batch.attention_mask, device);
  in.position_ids = on(batch.position_ids, device);
  in.segment_ids = on(batch.segment_ids, device);
  return in;
}

}  // namespace

torch::Tensor linear_cross_entropy_sum(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets,
                                       std::int64_t chunk_rows) {
  return LinearCrossEntropy::apply(hidden, weight, targets, chunk_rows, torch::GradMode::is_enabled());
}

torch::Tensor loss_sum(nn::CausalLM& network, const Batch& batch) {
  const auto device = network.lm_head_weight().device();
  auto hidden = network.hidden_states(model_inputs(batch, device));
  const auto width = hidden.size(-1);
  auto predictors = hidden.narrow(1, 0, hidden.size(1) - 1).reshape({-1, width});
  auto targets = on(batch.labels.narrow(1, 1, batch.labels.size(1) - 1).reshape({-1}), device);
  auto keep = (targets != -100).nonzero().squeeze(1);
  return linear_cross_entropy_sum(predictors.index_select(0, keep), network.lm_head_weight(), targets.index_select(0, keep));
}

}  // namespace ftcore::train
