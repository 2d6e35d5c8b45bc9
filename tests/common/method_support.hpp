#pragma once
// Tiny networks and option sets for the method and trainer tests.
#include <map>
#include <string>

#include "ftcore/nn/modules.hpp"
#include "ftcore/options.hpp"
#include "handler_registry.hpp"
#include "model/init_model.hpp"

namespace ftcore::testing {

/// Options from a map of texts ("lora-r" -> "4"); integer/number/flag/list parse the text.
class MapOptions final : public Options {
 public:
  MapOptions() = default;
  explicit MapOptions(std::initializer_list<std::pair<const std::string, std::string>> values) : values_(values) {}
  MapOptions& set(const std::string& key, const std::string& value) {
    values_[key] = value;
    return *this;
  }
  std::optional<std::string> text(const std::string& key) const override {
    auto it = values_.find(key);
    return it == values_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  std::optional<std::int64_t> integer(const std::string& key) const override {
    auto t = text(key);
    return t ? std::optional<std::int64_t>(std::stoll(*t)) : std::nullopt;
  }
  std::optional<double> number(const std::string& key) const override {
    auto t = text(key);
    return t ? std::optional<double>(std::stod(*t)) : std::nullopt;
  }
  bool flag(const std::string& key, bool fallback = false) const override {
    auto t = text(key);
    return t ? *t == "true" : fallback;
  }
  std::vector<std::string> list(const std::string& key) const override {
    std::vector<std::string> out;
    auto t = text(key);
    if (!t || t->empty()) return out;
    std::size_t start = 0;
    while (true) {
      auto comma = t->find(',', start);
      out.push_back(t->substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return out;
  }

 private:
  std::map<std::string, std::string> values_;
};

inline const ModelHandler& family(const std::string& name) { return *builtin_handlers().handler(name); }

/// A tiny random network of the family (vocabulary 64), fp32, eval mode.
inline std::shared_ptr<nn::CausalLM> tiny_network(const std::string& name, std::uint64_t seed = 7) {
  TokenIds ids;
  ids.vocab_size = 64;
  auto network = family(name).build(family(name).make_config(model::preset_size("tiny"), ids));
  network->init_weights(seed);
  network->eval();
  return network;
}

/// The family's facts for a default config.
inline FamilyFacts facts(const std::string& name) { return family(name).facts(nlohmann::json::object()); }

/// Names of the parameters that train, in module order.
inline std::vector<std::string> trainable_names(nn::CausalLM& network) {
  std::vector<std::string> names;
  for (const auto& item : network.named_parameters())
    if (item.value().requires_grad()) names.push_back(item.key());
  return names;
}

/// The network's logits on a fixed six-token sequence, without gradient.
inline torch::Tensor sample_logits(nn::CausalLM& network) {
  torch::NoGradGuard no_grad;
  nn::Batch batch;
  batch.input_ids = torch::tensor({3, 14, 15, 9, 26, 5}, torch::kInt64).unsqueeze(0);
  return network.logits(network.hidden_states(batch));
}

}  // namespace ftcore::testing
