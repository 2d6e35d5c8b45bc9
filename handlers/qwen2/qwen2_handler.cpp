// Qwen2 / Qwen2.5 (Qwen2ForCausalLM): the Llama layout with q/k/v biases (o_proj has none).
#include "qwen2_handler.hpp"

#include <stdexcept>

#include "ftcore/handler_util.hpp"

namespace ftcore::handlers {

namespace {

// ChatML, with Qwen2.5's tool-call blocks.
const char* const kFallbackTemplate =
    R"({%- if tools %}
{{- '<|im_start|>system\n' }}
{%- if messages[0].role == 'system' %}{{- messages[0].content + '\n\n' }}{%- endif %}
{{- '# Tools\n\nYou may call one or more functions. Function signatures in <tools></tools>:\n<tools>' }}
{%- for tool in tools %}{{- '\n' + tool | tojson }}{%- endfor %}
{{- '\n</tools>\n\nFor each call, return a JSON object {"name": ..., "arguments": ...} in <tool_call></tool_call> tags.<|im_end|>\n' }}
{%- elif messages[0].role == 'system' %}
{{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'system' and loop.first %}
{%- elif message.role == 'tool' %}
{{- '<|im_start|>user\n<tool_response>\n' + message.content + '\n</tool_response><|im_end|>\n' }}
{%- else %}
{{- '<|im_start|>' + message.role + '\n' }}
{%- if message.content %}{{- message.content }}{%- endif %}
{%- for call in message.tool_calls or [] %}
{{- '\n<tool_call>\n{"name": "' + call.function.name + '", "arguments": ' + call.function.arguments | tojson + '}\n</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\n' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %})";

SpecialTokens special_tokens() {
  SpecialTokens tokens;
  tokens.eos = "<|im_end|>";
  tokens.pad = "<|endoftext|>";
  tokens.additional = {"<|im_start|>"};
  return tokens;
}

}  // namespace

std::string Qwen2Handler::name() const { return "qwen2"; }

std::string Qwen2Handler::description() const {
  return "Qwen2 / Qwen2.5 (Qwen2ForCausalLM): q/k/v biases, GQA, tied embeddings on small sizes";
}

int Qwen2Handler::recognise(const nlohmann::json& config) const {
  return config_json::recognise(config, {"qwen2"}, {"Qwen2ForCausalLM"});
}

FamilyFacts Qwen2Handler::facts(const nlohmann::json& config) const {
  return config_json::family_facts(config, 32768, {"q_proj", "v_proj"}, kFallbackTemplate, special_tokens());
}

nn::DecoderSpec Qwen2Handler::architecture(const nlohmann::json& config) const {
  if (config_json::bool_or(config, "use_sliding_window", false))
    throw std::invalid_argument(
        "config.json: 'use_sliding_window' is true; ftcore implements Qwen2 with full attention only "
        "(set it to false: released Qwen2/2.5 checkpoints ship it false)");
  nn::DecoderSpec spec = config_json::llama_layout(config);
  spec.attention.q_bias = spec.attention.k_bias = spec.attention.v_bias = true;
  return spec;
}

nlohmann::json Qwen2Handler::make_config(const ModelSize& size, const TokenIds& tokens) const {
  auto config = config_json::llama_layout_config(size, tokens);
  config.erase("head_dim");  // Qwen2Config derives it
  config["model_type"] = "qwen2";
  config["architectures"] = {"Qwen2ForCausalLM"};
  config["rope_theta"] = 1000000.0;
  config["tie_word_embeddings"] = true;
  config["use_sliding_window"] = false;
  config["sliding_window"] = nullptr;
  config["max_window_layers"] = size.num_layers;
  return config;
}

}  // namespace ftcore::handlers
