#pragma once
// Reading config.json for model handlers: typed values with errors that name the key, and the
// pieces several families share (rope_scaling, the Llama-style layout).

#include <cstdint>
#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

#include "ftcore/export.hpp"
#include "ftcore/model_handler.hpp"
#include "ftcore/nn/spec.hpp"

namespace ftcore::config_json {

/// Each throws std::invalid_argument "config.json: 'key' must be ... (got ...)" for a wrong type;
/// require_* also when the key is missing or null. The *_or forms return `fallback` then.
FTCORE_API std::int64_t require_int(const nlohmann::json& config, const std::string& key);
FTCORE_API std::int64_t int_or(const nlohmann::json& config, const std::string& key, std::int64_t fallback);
FTCORE_API double number_or(const nlohmann::json& config, const std::string& key, double fallback);
FTCORE_API bool bool_or(const nlohmann::json& config, const std::string& key, bool fallback);
FTCORE_API std::string string_or(const nlohmann::json& config, const std::string& key, const std::string& fallback);

/// 10 when model_type is one of `model_types`, 5 when an architectures entry is one of
/// `architectures`, else 0.
FTCORE_API int recognise(const nlohmann::json& config, std::initializer_list<const char*> model_types,
                         std::initializer_list<const char*> architectures);

/// hidden_act / hidden_activation names as transformers' ACT2FN spells them.
FTCORE_API nn::Activation activation(const std::string& name, const std::string& key);

/// rope_theta and rope_scaling (rope_type or type: default, linear, llama3). Other scaling types
/// are rejected, naming them.
FTCORE_API nn::RopeSpec rope(const nlohmann::json& config, double default_theta);

/// The Llama layout (model.embed_tokens, model.layers.N.self_attn.{q,k,v,o}_proj,
/// mlp.{gate,up,down}_proj, RMSNorm, RoPE) with sizes from the standard keys: hidden_size,
/// num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim, intermediate_size,
/// vocab_size, max_position_embeddings, rms_norm_eps, hidden_act, tie_word_embeddings,
/// initializer_range, pad_token_id. Families adjust the result.
FTCORE_API nn::DecoderSpec llama_layout(const nlohmann::json& config);

/// The config.json keys llama_layout() reads, for a random model of these sizes and tokens
/// (plus torch_dtype float32 and the token ids). Families add model_type and their own keys.
FTCORE_API nlohmann::json llama_layout_config(const ModelSize& size, const TokenIds& tokens);

/// A family's facts: max_length from the config (`default_max_length` when it says nothing),
/// training precision bf16, gradient checkpointing and fused attention on.
FTCORE_API FamilyFacts family_facts(const nlohmann::json& config, std::int64_t default_max_length,
                                    std::vector<std::string> target_modules, std::string fallback_template,
                                    SpecialTokens special_tokens);

/// max_position_embeddings (or n_positions), `fallback` when absent.
FTCORE_API std::int64_t max_length(const nlohmann::json& config, std::int64_t fallback);

}  // namespace ftcore::config_json
