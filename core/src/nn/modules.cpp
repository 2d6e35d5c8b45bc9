// The building blocks of ftcore/nn/modules.hpp, computing what transformers' modeling code does.
#include "ftcore/nn/modules.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace ftcore::nn {

namespace F = torch::nn::functional;

// ---- Linear ----------------------------------------------------------------------------------

Linear::Linear(std::int64_t in, std::int64_t out, bool has_bias, bool fan_in_fan_out)
    : in_(in), out_(out), fan_in_fan_out_(fan_in_fan_out) {
  weight = register_parameter("weight", fan_in_fan_out ? torch::empty({in, out}) : torch::empty({out, in}));
  if (has_bias) bias = register_parameter("bias", torch::zeros({out}));
}

torch::Tensor Linear::forward(const torch::Tensor& x) {
  if (!fan_in_fan_out_) return torch::linear(x, weight, bias);
  // Conv1D: addmm over the flattened rows, as transformers computes it.
  auto rows = x.reshape({-1, in_});
  auto y = bias.defined() ? torch::addmm(bias, rows, weight) : torch::mm(rows, weight);
  auto shape = x.sizes().vec();
  shape.back() = out_;
  return y.view(shape);
}

torch::Tensor Linear::weight_out_in() const { return fan_in_fan_out_ ? weight.t() : weight; }

// ---- Block -----------------------------------------------------------------------------------

std::vector<std::string> Block::linear_names() const {
  std::vector<std::string> names;
  for (const auto& slot : slots_) names.push_back(slot.first);
  return names;
}

std::shared_ptr<LinearLayer> Block::linear(const std::string& child) const {
  for (const auto& slot : slots_)
    if (slot.first == child) return slot.second;
  throw std::out_of_range("no linear layer named '" + child + "' in this block");
}

void Block::replace_linear(const std::string& child, std::shared_ptr<LinearLayer> layer) {
  for (auto& slot : slots_) {
    if (slot.first != child) continue;
    layer->train(is_training());
    replace_module(child, layer);
    slot.second = std::move(layer);
    return;
  }
  throw std::out_of_range("no linear layer named '" + child + "' in this block");
}

std::size_t Block::add_linear(const std::string& child, std::shared_ptr<LinearLayer> layer) {
  register_module(child, layer);
  slots_.emplace_back(child, std::move(layer));
  return slots_.size() - 1;
}

// ---- Embedding and Norm ----------------------------------------------------------------------

Embedding::Embedding(std::int64_t count, std::int64_t dim) {
  weight = register_parameter("weight", torch::empty({count, dim}));
}

torch::Tensor Embedding::forward(const torch::Tensor& ids) const { return F::embedding(ids, weight); }

Norm::Norm(std::int64_t dim, const NormSpec& spec) : spec_(spec) {
  weight = register_parameter("weight", torch::empty({dim}));
  if (spec.kind == NormKind::layer) bias = register_parameter("bias", torch::empty({dim}));
  reset();
}

void Norm::reset() {
  torch::NoGradGuard no_grad;
  weight.fill_(spec_.unit_offset ? 0.0 : 1.0);
  if (bias.defined()) bias.zero_();
}

torch::Tensor Norm::forward(const torch::Tensor& x) const {
  if (spec_.kind == NormKind::layer)
    return F::layer_norm(x, F::LayerNormFuncOptions({x.size(-1)}).weight(weight).bias(bias).eps(spec_.eps));
  auto x32 = x.to(torch::kFloat32);
  auto normed = x32 * torch::rsqrt(x32.pow(2).mean(-1, true) + spec_.eps);
  if (spec_.unit_offset) return (normed * (1.0 + weight.to(torch::kFloat32))).to(x.scalar_type());
  return weight * normed.to(x.scalar_type());
}

// ---- Rotary embedding ------------------------------------------------------------------------

namespace {

// Llama 3.1's frequency scaling: long wavelengths divided by `factor`, short ones kept, a smooth
// blend between (transformers' _compute_llama3_parameters, in fp32).
torch::Tensor llama3_scaled(const torch::Tensor& inv_freq, const RopeSpec& spec) {
  const double old_context = static_cast<double>(spec.original_max_positions);
  const double low_freq_wavelen = old_context / spec.low_freq_factor;
  const double high_freq_wavelen = old_context / spec.high_freq_factor;
  auto wavelen = 2 * M_PI / inv_freq;
  auto scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / spec.factor, inv_freq);
  auto smooth = (old_context / wavelen - spec.low_freq_factor) / (spec.high_freq_factor - spec.low_freq_factor);
  auto smoothed = (1 - smooth) * scaled / spec.factor + smooth * scaled;
  auto medium = (wavelen >= high_freq_wavelen).logical_and(wavelen <= low_freq_wavelen);
  return torch::where(medium, smoothed, scaled);
}

}  // namespace

RotaryEmbedding::RotaryEmbedding(std::int64_t head_dim, const RopeSpec& spec) {
  auto exponents = torch::arange(0, head_dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(head_dim);
  inv_freq_ = 1.0 / torch::pow(spec.theta, exponents);
  if (spec.scaling == RopeScaling::linear) inv_freq_ = inv_freq_ / spec.factor;
  if (spec.scaling == RopeScaling::llama3) inv_freq_ = llama3_scaled(inv_freq_, spec);
}

std::pair<torch::Tensor, torch::Tensor> RotaryEmbedding::tables(const torch::Tensor& position_ids,
                                                                torch::ScalarType dtype) const {
  auto freqs = position_ids.to(torch::kFloat32).unsqueeze(-1) * inv_freq_.to(position_ids.device());
  auto angles = torch::cat({freqs, freqs}, -1);
  return {angles.cos().to(dtype), angles.sin().to(dtype)};
}

torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const auto half = x.size(-1) / 2;
  auto rotated = torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos.unsqueeze(1) + rotated * sin.unsqueeze(1);
}

std::int64_t KVCache::length() const { return keys.empty() || !keys[0].defined() ? 0 : keys[0].size(2); }

// ---- Attention -------------------------------------------------------------------------------

Attention::Attention(const DecoderSpec& spec, std::int64_t layer_index)
    : layer_index_(layer_index),
      heads_(spec.num_heads),
      kv_heads_(spec.num_kv_heads),
      head_dim_(spec.head_dim),
      scale_(1.0 / std::sqrt(static_cast<double>(spec.head_dim))),
      dropout_(spec.attention_dropout),
      fused_(spec.attention.fused_qkv) {
  const auto& a = spec.attention;
  const bool conv1d = spec.conv1d_weights;
  const std::int64_t q_out = heads_ * head_dim_, kv_out = kv_heads_ * head_dim_;
  if (a.scale_by_inverse_layer) scale_ /= static_cast<double>(layer_index + 1);
  if (fused_) {
    q_ = add_linear(a.qkv, std::make_shared<Linear>(spec.hidden_size, q_out + 2 * kv_out, a.q_bias, conv1d));
  } else {
    q_ = add_linear(a.q, std::make_shared<Linear>(spec.hidden_size, q_out, a.q_bias, conv1d));
    k_ = add_linear(a.k, std::make_shared<Linear>(spec.hidden_size, kv_out, a.k_bias, conv1d));
    v_ = add_linear(a.v, std::make_shared<Linear>(spec.hidden_size, kv_out, a.v_bias, conv1d));
  }
  o_ = add_linear(a.o, std::make_shared<Linear>(q_out, spec.hidden_size, a.o_bias, conv1d));
}

torch::Tensor Attention::forward(const torch::Tensor& x, const LayerContext& context) {
  const auto batch = x.size(0), length = x.size(1);
  torch::Tensor q, k, v;
  if (fused_) {
    auto qkv = linear_at(q_).forward(x).split_with_sizes({heads_ * head_dim_, kv_heads_ * head_dim_, kv_heads_ * head_dim_}, -1);
    q = qkv[0], k = qkv[1], v = qkv[2];
  } else {
    q = linear_at(q_).forward(x), k = linear_at(k_).forward(x), v = linear_at(v_).forward(x);
  }
  q = q.view({batch, length, heads_, head_dim_}).transpose(1, 2);
  k = k.view({batch, length, kv_heads_, head_dim_}).transpose(1, 2);
  v = v.view({batch, length, kv_heads_, head_dim_}).transpose(1, 2);
  if (context.cos.defined()) {
    q = apply_rotary(q, context.cos, context.sin);
    k = apply_rotary(k, context.cos, context.sin);
  }
  if (context.cache) {
    auto& keys = context.cache->keys[layer_index_];
    auto& values = context.cache->values[layer_index_];
    keys = keys.defined() ? torch::cat({keys, k}, 2) : k;
    values = values.defined() ? torch::cat({values, v}, 2) : v;
    k = keys, v = values;
  }
  if (kv_heads_ != heads_) {  // grouped-query attention: each key/value head serves a group
    const auto group = heads_ / kv_heads_, keys = k.size(2);
    k = k.unsqueeze(2).expand({batch, kv_heads_, group, keys, head_dim_}).reshape({batch, heads_, keys, head_dim_});
    v = v.unsqueeze(2).expand({batch, kv_heads_, group, keys, head_dim_}).reshape({batch, heads_, keys, head_dim_});
  }
  // transformers: (q k^T * scale + mask), softmax in fp32, back to the activation dtype. Scaled and
  // masked in place (the product's backward needs only its inputs); libtorch's bf16 softmax computes
  // in fp32 and rounds once, the same values without an fp32 copy of the scores.
  auto scores = torch::matmul(q, k.transpose(2, 3));
  scores.mul_(scale_).add_(context.mask);
  const bool rounds_once = scores.scalar_type() == torch::kBFloat16 || scores.scalar_type() == torch::kFloat32;
  auto probs = rounds_once ? torch::softmax(scores, -1) : torch::softmax(scores, -1, torch::kFloat32).to(q.scalar_type());
  if (dropout_ > 0 && is_training()) probs = torch::dropout(probs, dropout_, true);
  auto out = torch::matmul(probs, v).transpose(1, 2).reshape({batch, length, heads_ * head_dim_});
  return linear_at(o_).forward(out);
}

// ---- MLP and decoder layer -------------------------------------------------------------------

Mlp::Mlp(const DecoderSpec& spec) : gated_(spec.mlp.gated), activation_(spec.mlp.activation) {
  const auto& m = spec.mlp;
  const bool conv1d = spec.conv1d_weights;
  if (gated_) gate_ = add_linear(m.gate, std::make_shared<Linear>(spec.hidden_size, spec.intermediate_size, m.bias, conv1d));
  up_ = add_linear(m.up, std::make_shared<Linear>(spec.hidden_size, spec.intermediate_size, m.bias, conv1d));
  down_ = add_linear(m.down, std::make_shared<Linear>(spec.intermediate_size, spec.hidden_size, m.bias, conv1d));
}

namespace {

torch::Tensor activate(const torch::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::silu: return torch::silu(x);
    case Activation::gelu_tanh: return torch::gelu(x, "tanh");
    case Activation::gelu: return torch::gelu(x);
  }
  throw std::logic_error("unknown activation");
}

}  // namespace

torch::Tensor Mlp::forward(const torch::Tensor& x) {
  if (gated_) return linear_at(down_).forward(activate(linear_at(gate_).forward(x), activation_) * linear_at(up_).forward(x));
  return linear_at(down_).forward(activate(linear_at(up_).forward(x), activation_));
}

DecoderLayer::DecoderLayer(const DecoderSpec& spec, std::int64_t layer_index) : residual_dropout_(spec.residual_dropout) {
  norm1 = register_module(spec.norm1, std::make_shared<Norm>(spec.hidden_size, spec.norm));
  attention = register_module(spec.attention.name, std::make_shared<Attention>(spec, layer_index));
  norm2 = register_module(spec.norm2, std::make_shared<Norm>(spec.hidden_size, spec.norm));
  mlp = register_module(spec.mlp.name, std::make_shared<Mlp>(spec));
}

torch::Tensor DecoderLayer::forward(const torch::Tensor& x, const LayerContext& context) {
  const bool drop = residual_dropout_ > 0 && is_training();
  auto attended = attention->forward(norm1->forward(x), context);
  auto h = x + (drop ? torch::dropout(attended, residual_dropout_, true) : attended);
  auto transformed = mlp->forward(norm2->forward(h));
  return h + (drop ? torch::dropout(transformed, residual_dropout_, true) : transformed);
}

// ---- CausalLM --------------------------------------------------------------------------------

torch::Tensor CausalLM::logits(const torch::Tensor& hidden) const { return torch::matmul(hidden, lm_head_weight().t()); }

void CausalLM::set_gradient_checkpointing(bool on) {
  if (on) throw std::logic_error("this model does not support gradient checkpointing");
}

std::vector<LinearSite> CausalLM::linear_sites() {
  std::vector<LinearSite> sites;
  for (const auto& item : named_modules("", /*include_self=*/false)) {
    auto* block = dynamic_cast<Block*>(item.value().get());
    if (!block) continue;
    for (const auto& child : block->linear_names()) sites.push_back({item.key() + "." + child, block, child});
  }
  return sites;
}

}  // namespace ftcore::nn
