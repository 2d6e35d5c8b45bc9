#pragma once
// A model directory read the way the parity checks compare it: the family's handler chosen from
// config.json, the network built and its weights loaded in fp32.
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "handler_registry.hpp"
#include "model/model_dir.hpp"

namespace ftcore::parity {

struct LoadedModel {
  nlohmann::json config;
  const ModelHandler* handler = nullptr;
  FamilyFacts facts;
  std::shared_ptr<nn::CausalLM> network;
};

inline LoadedModel load_fp32(const std::filesystem::path& dir) {
  LoadedModel m;
  m.config = model::read_config(dir);
  m.handler = &model::choose_handler(ftcore::testing::builtin_handlers(), m.config, std::nullopt);
  m.facts = m.handler->facts(m.config);
  m.network = m.handler->build(m.config);
  model::load_weights(*m.network, dir, torch::kFloat32);
  return m;
}

}  // namespace ftcore::parity
