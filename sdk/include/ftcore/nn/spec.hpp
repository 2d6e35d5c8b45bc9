#pragma once
// A decoder-only transformer described as data: sizes, module names (which are the Hugging Face
// tensor names), and the variant of each building block. A handler reads config.json into a
// DecoderSpec; nn::build_decoder turns it into modules (ftcore/nn/modules.hpp). No torch here, so
// a handler that only fills the table compiles without the torch headers.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ftcore/export.hpp"

namespace ftcore::nn {

enum class NormKind { rms, layer };
enum class Activation { silu, gelu_tanh, gelu };
enum class RopeScaling { none, linear, llama3 };

struct NormSpec {
  NormKind kind = NormKind::rms;
  double eps = 1e-6;
  /// Gemma: y = norm(x) * (1 + w), multiplied in fp32 and then cast; weights start at 0.
  /// Otherwise (Llama): y = w * norm(x).to(dtype).
  bool unit_offset = false;
};

struct RopeSpec {
  bool enabled = true;  ///< false: learned absolute positions (GPT-2) or none
  double theta = 10000.0;
  RopeScaling scaling = RopeScaling::none;
  double factor = 1.0;  ///< linear and llama3
  // llama3 only (rope_scaling of Llama 3.1+):
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  std::int64_t original_max_positions = 8192;
};

struct AttentionSpec {
  std::string name = "self_attn";
  bool fused_qkv = false;  ///< one projection `qkv` giving q, k and v side by side (GPT-2's c_attn)
  std::string q = "q_proj", k = "k_proj", v = "v_proj", o = "o_proj", qkv = "c_attn";
  bool q_bias = false, k_bias = false, v_bias = false, o_bias = false;  ///< qkv_bias = q_bias when fused
  std::int64_t sliding_window = 0;  ///< keys at most this far back (Mistral); 0 = no limit
  /// GPT-2's scale_attn_by_inverse_layer_idx: layer i divides its scores by i + 1.
  bool scale_by_inverse_layer = false;
};

struct MlpSpec {
  std::string name = "mlp";
  bool gated = true;  ///< down(act(gate(x)) * up(x)); otherwise down(act(up(x)))
  std::string gate = "gate_proj", up = "up_proj", down = "down_proj";
  bool bias = false;
  Activation activation = Activation::silu;
};

struct DecoderSpec {
  std::int64_t vocab_size = 0;
  std::int64_t hidden_size = 0;
  std::int64_t num_layers = 0;
  std::int64_t num_heads = 0;
  std::int64_t num_kv_heads = 0;  ///< < num_heads: grouped-query attention
  std::int64_t head_dim = 0;
  std::int64_t intermediate_size = 0;
  std::int64_t max_positions = 0;  ///< learned position table size (GPT-2); informative with RoPE

  // Module names: the model's parameters are named exactly as the checkpoint's tensors.
  std::string backbone = "model";      ///< "transformer" for GPT-2
  std::string embed = "embed_tokens";  ///< "wte"
  std::string positions;               ///< learned absolute positions ("wpe"); empty with RoPE
  std::string layers = "layers";       ///< "h"
  std::string final_norm = "norm";     ///< "ln_f"
  std::string lm_head = "lm_head";
  std::string norm1 = "input_layernorm";           ///< "ln_1"
  std::string norm2 = "post_attention_layernorm";  ///< "ln_2"

  NormSpec norm;
  AttentionSpec attention;
  MlpSpec mlp;
  RopeSpec rope;
  /// Gemma: embeddings times sqrt(hidden_size), that factor rounded to the activation dtype first.
  bool scale_embeddings = false;
  bool tie_word_embeddings = false;
  /// Linear weights stored [in, out] (GPT-2's Conv1D) instead of [out, in].
  bool conv1d_weights = false;
  double initializer_range = 0.02;
  /// Dropout probabilities in training mode, as transformers applies them: on the attention
  /// probabilities (attention_dropout, GPT-2's attn_pdrop), on each sub-layer's output before the
  /// residual sum (GPT-2's resid_pdrop) and on the input embeddings (GPT-2's embd_pdrop).
  double attention_dropout = 0.0, residual_dropout = 0.0, embedding_dropout = 0.0;
  /// Row of the embedding that transformers zeroes at initialisation (pad_token_id); -1 = none.
  std::int64_t padding_idx = -1;

  /// Checkpoints may leave this prefix out of every name (GPT-2 on the Hub: "h.0..." for
  /// "transformer.h.0...").
  std::string optional_checkpoint_prefix;
  /// Checkpoint tensors that are buffers, not weights, and are skipped (e.g. ".attn.bias").
  std::vector<std::string> ignored_checkpoint_suffixes;
};

class CausalLM;

/// Builds the modules a spec describes, with uninitialised weights (call init_weights() or load a
/// checkpoint). Throws std::invalid_argument naming the field when the spec is inconsistent.
FTCORE_API std::shared_ptr<CausalLM> build_decoder(const DecoderSpec& spec);

/// Throws std::invalid_argument naming the first inconsistent field.
FTCORE_API void validate(const DecoderSpec& spec);

}  // namespace ftcore::nn
