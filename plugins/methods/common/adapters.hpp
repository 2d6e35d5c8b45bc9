#pragma once
// Small pieces the adapter methods (lora, dora, qlora, adalora) share.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/targets.hpp"
#include "ftcore/nn/modules.hpp"
#include "ftcore/training_method.hpp"

namespace ftcore::methods {

/// Every parameter of the network stops training.
void freeze(nn::CausalLM& network);

/// A JSON file (adapter_config.json); std::invalid_argument naming the file when it cannot be read or parsed.
nlohmann::json read_json(const std::filesystem::path& file);

/// PEFT's fan_in_fan_out of a base layer: whether it stores its weight [in, out] (GPT-2's Conv1D),
/// dense or quantised.
bool fan_in_fan_out(const nn::LinearLayer& base);

/// The adapter_config.json fields of peft 0.13's LoraConfig (which AdaLoraConfig extends) for a
/// causal-LM adapter: the layer choice, the base model, and PEFT's values of what ftcore does not
/// use; each method sets its own fields on top (peft_type, r, lora_alpha, lora_dropout, ...). PEFT
/// writes them sorted, as nlohmann::json does.
nlohmann::json peft_lora_config(const SaveInfo& info, const Selection& selection, bool fan_in_fan_out);

}  // namespace ftcore::methods
