#pragma once
// The gpt2 model family: config.json -> nn::DecoderSpec, facts, and init-model's config.

#include <string>

#include <nlohmann/json.hpp>

#include "ftcore/model_handler.hpp"

namespace ftcore::handlers {

class Gpt2Handler final : public ModelHandler {
 public:
  std::string name() const override;
  std::string description() const override;
  int recognise(const nlohmann::json& config) const override;
  FamilyFacts facts(const nlohmann::json& config) const override;
  nn::DecoderSpec architecture(const nlohmann::json& config) const override;
  nlohmann::json make_config(const ModelSize& size, const TokenIds& tokens) const override;
};

}  // namespace ftcore::handlers
