// GPT-2 (GPT2LMHeadModel): Conv1D weights stored [in, out], learned positions, LayerNorm,
// gelu-tanh MLP, tied embeddings; checkpoints with or without the "transformer." prefix.
#include "gpt2_handler.hpp"

#include <stdexcept>

#include "ftcore/handler_util.hpp"

namespace ftcore::handlers {

namespace {

// Plain "Role: text" lines that only need the end-of-text token GPT-2 already has.
const char* const kFallbackTemplate =
    R"({%- if tools %}{{- 'Tools: ' + tools | tojson + '\n' }}{%- endif %}
{%- for message in messages %}
{{- message.role | capitalize + ': ' }}
{%- if message.content is string %}{{- message.content }}{%- endif %}
{%- for call in message.tool_calls or [] %}{{- '{"name": "' + call.function.name + '", "arguments": ' + call.function.arguments | tojson + '}' }}{%- endfor %}
{%- if message.role == 'assistant' %}{{- eos_token }}{%- endif %}
{{- '\n' }}
{%- endfor %}
{%- if add_generation_prompt %}{{- 'Assistant: ' }}{%- endif %})";

SpecialTokens special_tokens() {
  SpecialTokens tokens;
  tokens.bos = tokens.eos = tokens.pad = "<|endoftext|>";
  return tokens;
}

}  // namespace

std::string Gpt2Handler::name() const { return "gpt2"; }

std::string Gpt2Handler::description() const {
  return "GPT-2 (GPT2LMHeadModel): Conv1D weights, learned positions, LayerNorm, tied embeddings";
}

int Gpt2Handler::recognise(const nlohmann::json& config) const {
  return config_json::recognise(config, {"gpt2"}, {"GPT2LMHeadModel"});
}

FamilyFacts Gpt2Handler::facts(const nlohmann::json& config) const {
  return config_json::family_facts(config, 1024, {"c_attn"}, kFallbackTemplate, special_tokens());
}

nn::DecoderSpec Gpt2Handler::architecture(const nlohmann::json& config) const {
  using namespace config_json;
  if (bool_or(config, "add_cross_attention", false))
    throw std::invalid_argument("config.json: 'add_cross_attention' is true; ftcore implements decoder-only GPT-2");
  nn::DecoderSpec spec;
  spec.vocab_size = require_int(config, "vocab_size");
  spec.hidden_size = require_int(config, "n_embd");
  spec.num_layers = require_int(config, "n_layer");
  spec.num_heads = spec.num_kv_heads = require_int(config, "n_head");
  spec.head_dim = spec.num_heads > 0 ? spec.hidden_size / spec.num_heads : 0;
  spec.intermediate_size = int_or(config, "n_inner", 4 * spec.hidden_size);
  spec.max_positions = require_int(config, "n_positions");
  spec.backbone = "transformer";
  spec.embed = "wte";
  spec.positions = "wpe";
  spec.layers = "h";
  spec.final_norm = "ln_f";
  spec.norm1 = "ln_1";
  spec.norm2 = "ln_2";
  spec.norm = {nn::NormKind::layer, number_or(config, "layer_norm_epsilon", 1e-5), false};
  spec.rope.enabled = false;
  spec.attention.name = "attn";
  spec.attention.fused_qkv = true;
  spec.attention.qkv = "c_attn";
  spec.attention.o = "c_proj";
  spec.attention.q_bias = spec.attention.o_bias = true;
  spec.attention.scale_by_inverse_layer = bool_or(config, "scale_attn_by_inverse_layer_idx", false);
  if (!bool_or(config, "scale_attn_weights", true))
    throw std::invalid_argument("config.json: 'scale_attn_weights' false is not implemented");
  spec.mlp.gated = false;
  spec.mlp.up = "c_fc";
  spec.mlp.down = "c_proj";
  spec.mlp.bias = true;
  spec.mlp.activation = activation(string_or(config, "activation_function", "gelu_new"), "activation_function");
  spec.tie_word_embeddings = bool_or(config, "tie_word_embeddings", true);
  spec.conv1d_weights = true;
  spec.initializer_range = number_or(config, "initializer_range", 0.02);
  spec.attention_dropout = number_or(config, "attn_pdrop", 0.1);
  spec.residual_dropout = number_or(config, "resid_pdrop", 0.1);
  spec.embedding_dropout = number_or(config, "embd_pdrop", 0.1);
  spec.optional_checkpoint_prefix = "transformer.";
  spec.ignored_checkpoint_suffixes = {".attn.bias", ".attn.masked_bias"};
  return spec;
}

nlohmann::json Gpt2Handler::make_config(const ModelSize& size, const TokenIds& tokens) const {
  nlohmann::json config{
      {"model_type", "gpt2"},
      {"architectures", {"GPT2LMHeadModel"}},
      {"vocab_size", tokens.vocab_size},
      {"n_embd", size.hidden_size},
      {"n_layer", size.num_layers},
      {"n_head", size.num_heads},
      {"n_inner", size.intermediate_size},
      {"n_positions", size.max_positions},
      {"layer_norm_epsilon", 1e-5},
      {"activation_function", "gelu_new"},
      {"initializer_range", 0.02},
      {"tie_word_embeddings", true},
      {"torch_dtype", "float32"},
      {"use_cache", true},
  };
  config["bos_token_id"] = tokens.bos;
  config["eos_token_id"] = tokens.eos;
  return config;
}

}  // namespace ftcore::handlers
