#include "ftcore/handler_util.hpp"

#include <stdexcept>

namespace ftcore::config_json {

namespace {

[[noreturn]] void wrong(const std::string& key, const std::string& expected, const nlohmann::json& got) {
  std::string shown = got.dump();
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  throw std::invalid_argument("config.json: '" + key + "' must be " + expected + " (got " + shown + ")");
}

const nlohmann::json* present(const nlohmann::json& config, const std::string& key) {
  auto it = config.find(key);
  return it == config.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace

std::int64_t require_int(const nlohmann::json& config, const std::string& key) {
  const auto* value = present(config, key);
  if (!value) throw std::invalid_argument("config.json: '" + key + "' is missing; the model's config must give it");
  if (!value->is_number_integer()) wrong(key, "an integer", *value);
  return value->get<std::int64_t>();
}

std::int64_t int_or(const nlohmann::json& config, const std::string& key, std::int64_t fallback) {
  return present(config, key) ? require_int(config, key) : fallback;
}

double number_or(const nlohmann::json& config, const std::string& key, double fallback) {
  const auto* value = present(config, key);
  if (!value) return fallback;
  if (!value->is_number()) wrong(key, "a number", *value);
  return value->get<double>();
}

bool bool_or(const nlohmann::json& config, const std::string& key, bool fallback) {
  const auto* value = present(config, key);
  if (!value) return fallback;
  if (!value->is_boolean()) wrong(key, "true or false", *value);
  return value->get<bool>();
}

std::string string_or(const nlohmann::json& config, const std::string& key, const std::string& fallback) {
  const auto* value = present(config, key);
  if (!value) return fallback;
  if (!value->is_string()) wrong(key, "a string", *value);
  return value->get<std::string>();
}

int recognise(const nlohmann::json& config, std::initializer_list<const char*> model_types,
              std::initializer_list<const char*> architectures) {
  if (!config.is_object()) return 0;
  auto type = config.find("model_type");
  if (type != config.end() && type->is_string())
    for (const char* name : model_types)
      if (*type == name) return 10;
  auto archs = config.find("architectures");
  if (archs != config.end() && archs->is_array())
    for (const auto& arch : *archs)
      for (const char* name : architectures)
        if (arch.is_string() && arch == name) return 5;
  return 0;
}

nn::Activation activation(const std::string& name, const std::string& key) {
  if (name == "silu" || name == "swish") return nn::Activation::silu;
  if (name == "gelu_pytorch_tanh" || name == "gelu_new" || name == "gelu_fast") return nn::Activation::gelu_tanh;
  if (name == "gelu") return nn::Activation::gelu;
  throw std::invalid_argument("config.json: '" + key + "' is '" + name +
                              "', which ftcore does not implement (known: silu, gelu, gelu_new, gelu_pytorch_tanh)");
}

nn::RopeSpec rope(const nlohmann::json& config, double default_theta) {
  nn::RopeSpec spec;
  spec.theta = number_or(config, "rope_theta", default_theta);
  if (number_or(config, "partial_rotary_factor", 1.0) != 1.0)
    throw std::invalid_argument("config.json: 'partial_rotary_factor' other than 1 is not implemented");
  const auto* scaling = present(config, "rope_scaling");
  if (!scaling) return spec;
  if (!scaling->is_object()) wrong("rope_scaling", "an object", *scaling);
  std::string type = string_or(*scaling, "rope_type", string_or(*scaling, "type", "default"));
  if (type == "default") return spec;
  auto factor = [&](const char* key) {
    const auto* value = present(*scaling, key);
    if (!value) throw std::invalid_argument(std::string("config.json: rope_scaling.") + key + " is missing");
    if (!value->is_number()) wrong(std::string("rope_scaling.") + key, "a number", *value);
    return value->get<double>();
  };
  if (type == "linear") {
    spec.scaling = nn::RopeScaling::linear;
    spec.factor = factor("factor");
  } else if (type == "llama3") {
    spec.scaling = nn::RopeScaling::llama3;
    spec.factor = factor("factor");
    spec.low_freq_factor = factor("low_freq_factor");
    spec.high_freq_factor = factor("high_freq_factor");
    spec.original_max_positions = static_cast<std::int64_t>(factor("original_max_position_embeddings"));
  } else {
    throw std::invalid_argument("config.json: rope_scaling type '" + type +
                                "' is not implemented (ftcore knows default, linear and llama3)");
  }
  return spec;
}

nn::DecoderSpec llama_layout(const nlohmann::json& config) {
  nn::DecoderSpec spec;
  spec.vocab_size = require_int(config, "vocab_size");
  spec.hidden_size = require_int(config, "hidden_size");
  spec.num_layers = require_int(config, "num_hidden_layers");
  spec.num_heads = require_int(config, "num_attention_heads");
  spec.num_kv_heads = int_or(config, "num_key_value_heads", spec.num_heads);
  spec.head_dim = int_or(config, "head_dim", spec.num_heads > 0 ? spec.hidden_size / spec.num_heads : 0);
  spec.intermediate_size = require_int(config, "intermediate_size");
  spec.max_positions = int_or(config, "max_position_embeddings", 2048);
  spec.norm.eps = number_or(config, "rms_norm_eps", 1e-6);
  spec.mlp.activation = activation(string_or(config, "hidden_act", "silu"), "hidden_act");
  spec.tie_word_embeddings = bool_or(config, "tie_word_embeddings", false);
  spec.initializer_range = number_or(config, "initializer_range", 0.02);
  spec.padding_idx = int_or(config, "pad_token_id", -1);
  spec.attention_dropout = number_or(config, "attention_dropout", 0.0);
  spec.rope = rope(config, 10000.0);
  spec.ignored_checkpoint_suffixes = {".rotary_emb.inv_freq"};
  if (spec.num_kv_heads <= 0 || spec.num_heads % spec.num_kv_heads != 0)
    throw std::invalid_argument("config.json: 'num_key_value_heads' (" + std::to_string(spec.num_kv_heads) +
                                ") must divide 'num_attention_heads' (" + std::to_string(spec.num_heads) + ")");
  return spec;
}

nlohmann::json llama_layout_config(const ModelSize& size, const TokenIds& tokens) {
  nlohmann::json config{
      {"vocab_size", tokens.vocab_size},
      {"hidden_size", size.hidden_size},
      {"num_hidden_layers", size.num_layers},
      {"num_attention_heads", size.num_heads},
      {"num_key_value_heads", size.num_kv_heads},
      {"head_dim", size.hidden_size / size.num_heads},
      {"intermediate_size", size.intermediate_size},
      {"max_position_embeddings", size.max_positions},
      {"rms_norm_eps", 1e-6},
      {"initializer_range", 0.02},
      {"rope_theta", 10000.0},
      {"hidden_act", "silu"},
      {"tie_word_embeddings", false},
      {"torch_dtype", "float32"},
      {"use_cache", true},
  };
  auto id = [](std::int64_t value) { return value >= 0 ? nlohmann::json(value) : nlohmann::json(nullptr); };
  config["bos_token_id"] = id(tokens.bos);
  config["eos_token_id"] = id(tokens.eos);
  config["pad_token_id"] = id(tokens.pad);
  return config;
}

FamilyFacts family_facts(const nlohmann::json& config, std::int64_t default_max_length,
                         std::vector<std::string> target_modules, std::string fallback_template,
                         SpecialTokens special_tokens) {
  FamilyFacts facts;
  facts.default_target_modules = std::move(target_modules);
  facts.training_precision = "bf16";
  facts.max_length = max_length(config, default_max_length);
  facts.fallback_chat_template = std::move(fallback_template);
  facts.special_tokens = std::move(special_tokens);
  return facts;
}

std::int64_t max_length(const nlohmann::json& config, std::int64_t fallback) {
  return int_or(config, "max_position_embeddings", int_or(config, "n_positions", fallback));
}

}  // namespace ftcore::config_json
