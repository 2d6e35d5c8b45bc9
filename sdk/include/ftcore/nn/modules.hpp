#pragma once
// The building blocks every model family is assembled from (torchtune's idea: blocks receive or
// own their sub-modules by name, so a training method can swap a linear layer for an adapter
// without the family's code knowing). Parameter names equal the Hugging Face tensor names.
//
// Shapes: B batch, T new positions, S = cached + new positions, H hidden, D head_dim.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "ftcore/export.hpp"
#include "ftcore/nn/spec.hpp"

namespace ftcore::nn {

/// A layer computing y = x W^T + b: the plain Linear, or an adapter or quantised layer.
class FTCORE_API LinearLayer : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  virtual std::int64_t in_features() const = 0;
  virtual std::int64_t out_features() const = 0;
};

/// y = x W^T + b, with W stored [out, in] or, for GPT-2's Conv1D (fan_in_fan_out), [in, out].
class FTCORE_API Linear : public LinearLayer {
 public:
  Linear(std::int64_t in, std::int64_t out, bool has_bias, bool fan_in_fan_out = false);
  torch::Tensor forward(const torch::Tensor& x) override;
  std::int64_t in_features() const override { return in_; }
  std::int64_t out_features() const override { return out_; }
  bool fan_in_fan_out() const { return fan_in_fan_out_; }
  /// The weight as [out, in], whatever the storage (a view, not a copy).
  torch::Tensor weight_out_in() const;

  torch::Tensor weight;
  torch::Tensor bias;  ///< undefined when the layer has none

 private:
  std::int64_t in_, out_;
  bool fan_in_fan_out_;
};

/// A module whose linear layers are held in named slots that methods may wrap or replace.
class FTCORE_API Block : public torch::nn::Module {
 public:
  std::vector<std::string> linear_names() const;
  /// Throws std::out_of_range for a name that is not a slot.
  std::shared_ptr<LinearLayer> linear(const std::string& child) const;
  /// Puts `layer` in the slot (also in the module tree, so its parameters are named child.*). The
  /// layer takes this block's training mode (a new module starts in training mode).
  void replace_linear(const std::string& child, std::shared_ptr<LinearLayer> layer);

 protected:
  /// Registers `layer` as child `child`; returns the slot index for linear_at().
  std::size_t add_linear(const std::string& child, std::shared_ptr<LinearLayer> layer);
  LinearLayer& linear_at(std::size_t index) const { return *slots_[index].second; }

 private:
  std::vector<std::pair<std::string, std::shared_ptr<LinearLayer>>> slots_;
};

/// A linear layer of a model, named as in the checkpoint ("model.layers.0.self_attn.q_proj").
struct LinearSite {
  std::string name;
  Block* owner = nullptr;
  std::string child;  ///< the slot name in `owner`
};

class FTCORE_API Embedding : public torch::nn::Module {
 public:
  Embedding(std::int64_t count, std::int64_t dim);
  torch::Tensor forward(const torch::Tensor& ids) const;
  torch::Tensor weight;  ///< [count, dim]
};

/// RMSNorm (Llama: w * norm(x).to(dtype); Gemma: (norm(x) * (1 + w)) in fp32) or LayerNorm.
class FTCORE_API Norm : public torch::nn::Module {
 public:
  Norm(std::int64_t dim, const NormSpec& spec);
  torch::Tensor forward(const torch::Tensor& x) const;
  void reset();  ///< the initial values: ones (zeros with unit_offset), zero bias
  torch::Tensor weight;
  torch::Tensor bias;  ///< LayerNorm only

 private:
  NormSpec spec_;
};

/// Rotary position embedding tables (transformers' default, linear and llama3 variants).
class FTCORE_API RotaryEmbedding {
 public:
  RotaryEmbedding(std::int64_t head_dim, const RopeSpec& spec);
  /// cos and sin, [B, T, D], computed in fp32 and returned in `dtype`.
  std::pair<torch::Tensor, torch::Tensor> tables(const torch::Tensor& position_ids, torch::ScalarType dtype) const;
  const torch::Tensor& inv_freq() const { return inv_freq_; }

 private:
  torch::Tensor inv_freq_;  ///< [D / 2], fp32
};

/// x * cos + rotate_half(x) * sin, for x [B, heads, T, D] and tables [B, T, D].
FTCORE_API torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

/// Keys and values of earlier positions, one entry per layer, for generation.
struct FTCORE_API KVCache {
  std::vector<torch::Tensor> keys, values;  ///< [B, kv_heads, S, D]
  std::int64_t length() const;
};

/// What every layer of one forward pass shares.
struct LayerContext {
  torch::Tensor cos, sin;  ///< rotary tables [B, T, D]; undefined without RoPE
  torch::Tensor mask;      ///< additive [B, 1, T, S] in the activation dtype (0 or the lowest value)
  KVCache* cache = nullptr;
};

class FTCORE_API Attention : public Block {
 public:
  Attention(const DecoderSpec& spec, std::int64_t layer_index);
  torch::Tensor forward(const torch::Tensor& x, const LayerContext& context);

 private:
  std::int64_t layer_index_, heads_, kv_heads_, head_dim_;
  double scale_, dropout_;
  bool fused_;
  std::size_t q_ = 0, k_ = 0, v_ = 0, o_ = 0;
};

class FTCORE_API Mlp : public Block {
 public:
  explicit Mlp(const DecoderSpec& spec);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool gated_;
  Activation activation_;
  std::size_t gate_ = 0, up_ = 0, down_ = 0;
};

/// x + attn(norm1(x)), then + mlp(norm2(x)).
class FTCORE_API DecoderLayer : public torch::nn::Module {
 public:
  DecoderLayer(const DecoderSpec& spec, std::int64_t layer_index);
  torch::Tensor forward(const torch::Tensor& x, const LayerContext& context);

  std::shared_ptr<Norm> norm1, norm2;
  std::shared_ptr<Attention> attention;
  std::shared_ptr<Mlp> mlp;

 private:
  double residual_dropout_;
};

/// One forward pass's inputs.
struct Batch {
  torch::Tensor input_ids;       ///< [B, T] int64
  torch::Tensor position_ids;    ///< [B, T] int64; undefined: cached length + 0..T-1
  torch::Tensor attention_mask;  ///< [B, S], 1 = token, 0 = padding; undefined: no padding
  torch::Tensor segment_ids;     ///< [B, T] packed samples attend only within equal ids; undefined: one per row
};

/// A causal language model: token ids in, hidden states and logits out.
class FTCORE_API CausalLM : public torch::nn::Module {
 public:
  virtual const DecoderSpec& spec() const = 0;
  /// Hidden states after the final norm, [B, T, H]. With a cache, appends this pass's keys/values.
  virtual torch::Tensor hidden_states(const Batch& batch, KVCache* cache = nullptr) = 0;
  /// The output projection [vocab, H] (the input embedding when tied).
  virtual torch::Tensor lm_head_weight() const = 0;
  /// Random weights as transformers initialises them, from `seed`.
  virtual void init_weights(std::uint64_t seed) = 0;

  /// hidden [.., H] -> logits [.., vocab].
  torch::Tensor logits(const torch::Tensor& hidden) const;
  /// Every linear layer in a Block slot, in module order: what methods may adapt.
  std::vector<LinearSite> linear_sites();
  /// The activation dtype (that of the embedding).
  virtual torch::ScalarType dtype() const = 0;

  /// Gradient checkpointing: while on, a training-mode forward with grad enabled and no cache
  /// keeps only each decoder layer's input and recomputes the layer during backward (activation
  /// memory per layer for one more forward's compute). Eval mode, NoGradGuard and a cache run as
  /// usual. This default supports none and throws std::logic_error when asked to turn it on.
  virtual void set_gradient_checkpointing(bool on);
  virtual bool gradient_checkpointing() const { return false; }
};

}  // namespace ftcore::nn
