// nn::build_decoder: a DecoderSpec assembled from the SDK blocks into a CausalLM whose
// parameter names are the checkpoint's tensor names.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "ftcore/nn/modules.hpp"
#include "nn/checkpoint.hpp"

namespace ftcore::nn {

namespace {

/// The most negative finite value of a floating dtype (torch.finfo(dtype).min).
double lowest_value(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kFloat64: return std::numeric_limits<double>::lowest();
    case torch::kFloat16: return static_cast<double>(std::numeric_limits<c10::Half>::lowest());
    case torch::kBFloat16: return static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest());
    default: return std::numeric_limits<float>::lowest();
  }
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("model architecture: " + what);
}

/// The backbone ("model" or "transformer"): embeddings, layers, final norm.
class Backbone : public torch::nn::Module {
 public:
  explicit Backbone(const DecoderSpec& spec) {
    embed = register_module(spec.embed, std::make_shared<Embedding>(spec.vocab_size, spec.hidden_size));
    if (!spec.positions.empty())
      positions = register_module(spec.positions, std::make_shared<Embedding>(spec.max_positions, spec.hidden_size));
    layers = register_module(spec.layers, torch::nn::ModuleList());
    for (std::int64_t i = 0; i < spec.num_layers; ++i) layers->push_back(std::make_shared<DecoderLayer>(spec, i));
    final_norm = register_module(spec.final_norm, std::make_shared<Norm>(spec.hidden_size, spec.norm));
  }

  std::shared_ptr<Embedding> embed, positions;
  torch::nn::ModuleList layers;
  std::shared_ptr<Norm> final_norm;
};

class DecoderLM final : public CausalLM {
 public:
  explicit DecoderLM(const DecoderSpec& spec) : spec_(spec) {
    backbone_ = register_module(spec.backbone, std::make_shared<Backbone>(spec));
    if (!spec.tie_word_embeddings)
      lm_head_ = register_module(spec.lm_head, std::make_shared<Linear>(spec.hidden_size, spec.vocab_size, false));
    if (spec.rope.enabled) rotary_ = std::make_unique<RotaryEmbedding>(spec.head_dim, spec.rope);
    for (const auto& layer : *backbone_->layers) layers_.push_back(std::dynamic_pointer_cast<DecoderLayer>(layer));
  }

  const DecoderSpec& spec() const override { return spec_; }
  torch::ScalarType dtype() const override { return backbone_->embed->weight.scalar_type(); }

  torch::Tensor lm_head_weight() const override {
    return lm_head_ ? lm_head_->weight : backbone_->embed->weight;
  }

  torch::Tensor hidden_states(const Batch& batch, KVCache* cache) override {
    const auto& ids = batch.input_ids;
    require(ids.dim() == 2, "input_ids must be [batch, length]");
    const std::int64_t past = cache ? cache->length() : 0;
    if (cache && cache->keys.empty()) cache->keys.resize(layers_.size()), cache->values.resize(layers_.size());
    auto positions = batch.position_ids.defined()
                         ? batch.position_ids
                         : (torch::arange(past, past + ids.size(1), ids.options().dtype(torch::kInt64))
                                .unsqueeze(0)
                                .expand_as(ids));
    auto x = backbone_->embed->forward(ids);
    if (spec_.scale_embeddings)  // sqrt(hidden) rounded to the activation dtype, as transformers does
      x = x * torch::scalar_tensor(std::sqrt(static_cast<double>(spec_.hidden_size)), x.options());
    if (backbone_->positions) x = x + backbone_->positions->forward(positions);
    if (spec_.embedding_dropout > 0 && is_training()) x = torch::dropout(x, spec_.embedding_dropout, true);

    LayerContext context;
    context.cache = cache;
    context.mask = additive_mask(batch, past, x.scalar_type(), x.device());
    if (rotary_) std::tie(context.cos, context.sin) = rotary_->tables(positions, x.scalar_type());
    const bool checkpoint = checkpointing_ && is_training() && torch::GradMode::is_enabled() && !cache;
    for (auto& layer : layers_) x = checkpoint ? checkpointed_forward(layer, x, context) : layer->forward(x, context);
    return backbone_->final_norm->forward(x);
  }

  void set_gradient_checkpointing(bool on) override { checkpointing_ = on; }
  bool gradient_checkpointing() const override { return checkpointing_; }

  void init_weights(std::uint64_t seed) override {
    torch::NoGradGuard no_grad;
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    const double std = spec_.initializer_range;
    for (auto& item : named_modules()) {
      auto& module = item.value();
      if (auto* linear = dynamic_cast<Linear*>(module.get())) {
        double scale = 1.0;
        // GPT-2 scales the residual projections by 1/sqrt(2 * layers).
        if (spec_.conv1d_weights && ends_with(item.key(), ".c_proj")) scale = 1.0 / std::sqrt(2.0 * spec_.num_layers);
        normal_(linear->weight, std * scale, generator);
        if (linear->bias.defined()) linear->bias.zero_();
      } else if (auto* embedding = dynamic_cast<Embedding*>(module.get())) {
        normal_(embedding->weight, std, generator);
      } else if (auto* norm = dynamic_cast<Norm*>(module.get())) {
        norm->reset();
      }
    }
    if (spec_.padding_idx >= 0 && spec_.padding_idx < spec_.vocab_size) backbone_->embed->weight[spec_.padding_idx].zero_();
  }

 private:
  static bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  }

  static void normal_(torch::Tensor& t, double std, const at::Generator& generator) {
    // Drawn in fp32 so that the same seed gives the same model in every dtype.
    t.copy_(torch::empty(t.sizes(), torch::kFloat32).normal_(0.0, std, generator));
  }

  /// [B, 1, T, S]: 0 where query t may see key s (causal, within the sliding window, not padding,
  /// same packed segment), the dtype's lowest value elsewhere.
  torch::Tensor additive_mask(const Batch& batch, std::int64_t past, torch::ScalarType dtype, torch::Device device) const {
    const auto rows = batch.input_ids.size(0), length = batch.input_ids.size(1), keys = past + length;
    auto options = torch::TensorOptions().dtype(torch::kInt64).device(device);
    auto query_pos = torch::arange(past, keys, options).unsqueeze(1);
    auto key_pos = torch::arange(0, keys, options).unsqueeze(0);
    auto allowed = (key_pos <= query_pos).unsqueeze(0).unsqueeze(0);  // [1, 1, T, S]
    if (spec_.attention.sliding_window > 0)
      allowed = allowed.logical_and((query_pos - key_pos < spec_.attention.sliding_window).unsqueeze(0).unsqueeze(0));
    if (batch.attention_mask.defined()) {
      require(batch.attention_mask.size(1) == keys, "attention_mask must cover cached and new positions");
      allowed = allowed.logical_and(batch.attention_mask.to(device).to(torch::kBool).view({rows, 1, 1, keys}));
    }
    if (batch.segment_ids.defined()) {
      require(past == 0, "packed segments cannot be combined with a cache");
      auto seg = batch.segment_ids.to(device);
      allowed = allowed.logical_and((seg.unsqueeze(2) == seg.unsqueeze(1)).unsqueeze(1));
    }
    auto options_out = torch::TensorOptions().dtype(dtype).device(device);
    auto zero = torch::zeros({}, options_out);
    auto lowest = torch::full({}, lowest_value(dtype), options_out);
    return torch::where(allowed, zero, lowest).expand({rows, 1, length, keys});
  }

  DecoderSpec spec_;
  std::shared_ptr<Backbone> backbone_;
  std::shared_ptr<Linear> lm_head_;
  std::unique_ptr<RotaryEmbedding> rotary_;
  std::vector<std::shared_ptr<DecoderLayer>> layers_;
  bool checkpointing_ = false;
};

}  // namespace

void validate(const DecoderSpec& s) {
  // Larger sizes would overflow the products of sizes that build the weights.
  constexpr std::int64_t kLargest = std::int64_t{1} << 31;
  for (auto [name, size] : {std::pair{"vocab_size", s.vocab_size}, std::pair{"hidden_size", s.hidden_size},
                            std::pair{"num_layers", s.num_layers}, std::pair{"num_heads", s.num_heads},
                            std::pair{"num_kv_heads", s.num_kv_heads}, std::pair{"head_dim", s.head_dim},
                            std::pair{"intermediate_size", s.intermediate_size}, std::pair{"max_positions", s.max_positions}})
    require(size <= kLargest, std::string(name) + " " + std::to_string(size) + " is larger than ftcore builds (2^31)");
  require(s.vocab_size > 0, "vocab_size must be positive");
  require(s.hidden_size > 0, "hidden_size must be positive");
  require(s.num_layers > 0, "num_layers must be positive");
  require(s.num_heads > 0, "num_heads must be positive");
  require(s.num_kv_heads > 0 && s.num_heads % s.num_kv_heads == 0,
          "num_kv_heads (" + std::to_string(s.num_kv_heads) + ") must divide num_heads (" + std::to_string(s.num_heads) + ")");
  require(s.head_dim > 0, "head_dim must be positive");
  require(!s.rope.enabled || s.head_dim % 2 == 0, "head_dim must be even for rotary embeddings");
  require(s.intermediate_size > 0, "intermediate_size must be positive");
  require(s.positions.empty() || s.max_positions > 0, "max_positions must be positive with learned positions");
  require(!s.attention.fused_qkv || !s.attention.k_bias || s.attention.q_bias, "a fused qkv projection has one bias");
  require(s.norm.eps > 0, "norm eps must be positive");
  require(s.rope.scaling != RopeScaling::llama3 || s.rope.high_freq_factor != s.rope.low_freq_factor,
          "rope_scaling high_freq_factor must differ from low_freq_factor");
}

std::shared_ptr<CausalLM> build_decoder(const DecoderSpec& spec) {
  validate(spec);
  return std::make_shared<DecoderLM>(spec);
}

}  // namespace ftcore::nn
