// Gemma (GemmaForCausalLM): (1 + w) RMSNorm in fp32, embeddings scaled by sqrt(hidden) rounded to
// the activation dtype, gelu-tanh gated MLP, head_dim 256 by default, tied embeddings.
#include "gemma_handler.hpp"

#include "ftcore/handler_util.hpp"

namespace ftcore::handlers {

namespace {

// Gemma turns; a system prompt is put in front of the first user turn (as Gemma 3 does).
const char* const kFallbackTemplate =
    R"({{- bos_token }}
{%- set system = messages[0].content + '\n\n' if messages[0].role == 'system' else '' %}
{%- for message in messages %}
{%- if message.role != 'system' %}
{%- set role = 'model' if message.role == 'assistant' else 'user' %}
{{- '<start_of_turn>' + role + '\n' }}
{%- if loop.index0 == 1 and system %}{{- system }}{%- endif %}
{%- if message.role == 'tool' %}{{- 'Tool result: ' }}{%- endif %}
{%- if message.content is string %}{{- message.content | trim }}{%- endif %}
{%- for call in message.tool_calls or [] %}{{- '{"name": "' + call.function.name + '", "arguments": ' + call.function.arguments | tojson + '}' }}{%- endfor %}
{{- '<end_of_turn>\n' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<start_of_turn>model\n' }}{%- endif %})";

SpecialTokens special_tokens() {
  SpecialTokens tokens;
  tokens.bos = "<bos>";
  tokens.eos = "<end_of_turn>";
  tokens.pad = "<pad>";
  tokens.additional = {"<eos>", "<start_of_turn>"};
  tokens.add_bos = true;
  return tokens;
}

}  // namespace

std::string GemmaHandler::name() const { return "gemma"; }

std::string GemmaHandler::description() const {
  return "Gemma (GemmaForCausalLM): (1+w) RMSNorm, scaled embeddings, gelu-tanh MLP, tied embeddings";
}

int GemmaHandler::recognise(const nlohmann::json& config) const {
  return config_json::recognise(config, {"gemma"}, {"GemmaForCausalLM"});
}

FamilyFacts GemmaHandler::facts(const nlohmann::json& config) const {
  return config_json::family_facts(config, 8192, {"q_proj", "v_proj"}, kFallbackTemplate, special_tokens());
}

nn::DecoderSpec GemmaHandler::architecture(const nlohmann::json& config) const {
  nlohmann::json c = config;
  if (!c.contains("head_dim") || c["head_dim"].is_null()) c["head_dim"] = 256;  // GemmaConfig's default
  // transformers uses hidden_activation; when it is unset, gelu_pytorch_tanh (not hidden_act).
  c["hidden_act"] = config_json::string_or(config, "hidden_activation", "gelu_pytorch_tanh");
  if (!c.contains("tie_word_embeddings")) c["tie_word_embeddings"] = true;
  nn::DecoderSpec spec = config_json::llama_layout(c);
  spec.norm.unit_offset = true;
  spec.scale_embeddings = true;
  const bool attention_bias = config_json::bool_or(config, "attention_bias", false);
  spec.attention.q_bias = spec.attention.k_bias = spec.attention.v_bias = spec.attention.o_bias = attention_bias;
  return spec;
}

nlohmann::json GemmaHandler::make_config(const ModelSize& size, const TokenIds& tokens) const {
  auto config = config_json::llama_layout_config(size, tokens);
  config.erase("hidden_act");
  config["model_type"] = "gemma";
  config["architectures"] = {"GemmaForCausalLM"};
  config["hidden_activation"] = "gelu_pytorch_tanh";
  config["tie_word_embeddings"] = true;
  config["attention_bias"] = false;
  return config;
}

}  // namespace ftcore::handlers
