// Llama (1, 2, 3.x): LlamaForCausalLM. GQA, optional head_dim, attention_bias, mlp_bias,
// rope_scaling default / linear / llama3.
#include "llama_handler.hpp"

#include "ftcore/handler_util.hpp"

namespace ftcore::handlers {

namespace {

// The family's facts, in one place.
const char* const kFallbackTemplate =
    R"({{- bos_token }}
{%- if tools %}
{{- '<|start_header_id|>system<|end_header_id|>\n\nYou can call these functions. To call one, answer with JSON {"name": ..., "parameters": ...}.\n' }}
{%- for tool in tools %}{{- '\n' + tool | tojson }}{%- endfor %}
{{- '<|eot_id|>' }}
{%- endif %}
{%- for message in messages %}
{%- set role = 'ipython' if message.role == 'tool' else message.role %}
{{- '<|start_header_id|>' + role + '<|end_header_id|>\n\n' }}
{%- if message.content is string %}{{- message.content | trim }}{%- endif %}
{%- if message.tool_calls %}
{%- for call in message.tool_calls %}{{- '{"name": "' + call.function.name + '", "parameters": ' + call.function.arguments | tojson + '}' }}{%- endfor %}
{%- endif %}
{{- '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{%- endif %})";

SpecialTokens special_tokens() {
  SpecialTokens tokens;
  tokens.bos = "<|begin_of_text|>";
  tokens.eos = "<|eot_id|>";
  tokens.pad = "<|finetune_right_pad_id|>";
  tokens.additional = {"<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>"};
  tokens.add_bos = true;
  return tokens;
}

}  // namespace

std::string LlamaHandler::name() const { return "llama"; }

std::string LlamaHandler::description() const {
  return "Llama 1/2/3.x (LlamaForCausalLM): GQA, rope_scaling llama3/linear, optional head_dim and biases";
}

int LlamaHandler::recognise(const nlohmann::json& config) const {
  return config_json::recognise(config, {"llama"}, {"LlamaForCausalLM"});
}

FamilyFacts LlamaHandler::facts(const nlohmann::json& config) const {
  return config_json::family_facts(config, 2048, {"q_proj", "v_proj"}, kFallbackTemplate, special_tokens());
}

nn::DecoderSpec LlamaHandler::architecture(const nlohmann::json& config) const {
  nn::DecoderSpec spec = config_json::llama_layout(config);
  const bool attention_bias = config_json::bool_or(config, "attention_bias", false);
  spec.attention.q_bias = spec.attention.k_bias = spec.attention.v_bias = spec.attention.o_bias = attention_bias;
  spec.mlp.bias = config_json::bool_or(config, "mlp_bias", false);
  return spec;
}

nlohmann::json LlamaHandler::make_config(const ModelSize& size, const TokenIds& tokens) const {
  auto config = config_json::llama_layout_config(size, tokens);
  config["model_type"] = "llama";
  config["architectures"] = {"LlamaForCausalLM"};
  config["attention_bias"] = false;
  config["mlp_bias"] = false;
  config["rope_theta"] = 500000.0;
  config["rope_scaling"] = {{"rope_type", "llama3"},
                            {"factor", 8.0},
                            {"low_freq_factor", 1.0},
                            {"high_freq_factor", 4.0},
                            {"original_max_position_embeddings", size.max_positions / 4}};
  return config;
}

}  // namespace ftcore::handlers
