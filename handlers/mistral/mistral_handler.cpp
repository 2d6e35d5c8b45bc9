// Mistral (MistralForCausalLM): the Llama layout with a sliding attention window.
#include "mistral_handler.hpp"

#include "ftcore/handler_util.hpp"

namespace ftcore::handlers {

namespace {

// [INST] turns; the system prompt goes in front of the first user turn, tool results in
// [TOOL_RESULTS] blocks, tool calls as a JSON list after [TOOL_CALLS].
const char* const kFallbackTemplate =
    R"({%- set system = messages[0].content if messages[0].role == 'system' else none %}
{{- bos_token }}
{%- if tools %}{{- '[AVAILABLE_TOOLS] ' + tools | tojson + '[/AVAILABLE_TOOLS]' }}{%- endif %}
{%- for message in messages %}
{%- if message.role == 'user' %}
{%- if system and loop.index0 == 1 %}{{- '[INST] ' + system + '\n\n' + message.content + '[/INST]' }}
{%- else %}{{- '[INST] ' + message.content + '[/INST]' }}{%- endif %}
{%- elif message.role == 'assistant' %}
{%- if message.tool_calls %}
{{- '[TOOL_CALLS] [' }}
{%- for call in message.tool_calls %}{{- '{"name": "' + call.function.name + '", "arguments": ' + call.function.arguments | tojson + ', "id": "' + call.id + '"}' }}{%- if not loop.last %}{{- ', ' }}{%- endif %}{%- endfor %}
{{- ']' + eos_token }}
{%- else %}{{- ' ' + message.content + eos_token }}{%- endif %}
{%- elif message.role == 'tool' %}
{{- '[TOOL_RESULTS] {"content": ' + message.content | tojson + ', "call_id": "' + message.tool_call_id + '"}[/TOOL_RESULTS]' }}
{%- elif message.role != 'system' or not loop.first %}
{{- raise_exception('this template takes system (first only), user, assistant and tool messages') }}
{%- endif %}
{%- endfor %})";

SpecialTokens special_tokens() {
  SpecialTokens tokens;
  tokens.bos = "<s>";
  tokens.eos = "</s>";
  tokens.pad = "<pad>";
  tokens.additional = {"<unk>", "[INST]", "[/INST]", "[TOOL_CALLS]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
                       "[TOOL_RESULTS]", "[/TOOL_RESULTS]"};
  tokens.add_bos = true;
  return tokens;
}

}  // namespace

std::string MistralHandler::name() const { return "mistral"; }

std::string MistralHandler::description() const {
  return "Mistral (MistralForCausalLM): GQA, sliding-window attention";
}

int MistralHandler::recognise(const nlohmann::json& config) const {
  return config_json::recognise(config, {"mistral"}, {"MistralForCausalLM"});
}

FamilyFacts MistralHandler::facts(const nlohmann::json& config) const {
  return config_json::family_facts(config, 32768, {"q_proj", "v_proj"}, kFallbackTemplate, special_tokens());
}

nn::DecoderSpec MistralHandler::architecture(const nlohmann::json& config) const {
  nn::DecoderSpec spec = config_json::llama_layout(config);
  spec.attention.sliding_window = config_json::int_or(config, "sliding_window", 0);
  return spec;
}

nlohmann::json MistralHandler::make_config(const ModelSize& size, const TokenIds& tokens) const {
  auto config = config_json::llama_layout_config(size, tokens);
  config["model_type"] = "mistral";
  config["architectures"] = {"MistralForCausalLM"};
  config["sliding_window"] = size.max_positions / 2;
  return config;
}

}  // namespace ftcore::handlers
