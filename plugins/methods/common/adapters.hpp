#pragma once
// Small pieces the adapter methods (lora, dora, qlora, adalora) share.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "ftcore/nn/modules.hpp"

namespace ftcore::methods {

/// Every parameter of the network stops training.
void freeze(nn::CausalLM& network);

/// A JSON file (adapter_config.json); std::invalid_argument naming the file when it cannot be read or parsed.
nlohmann::json read_json(const std::filesystem::path& file);

}  // namespace ftcore::methods
