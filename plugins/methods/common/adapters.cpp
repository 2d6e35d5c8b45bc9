#include "common/adapters.hpp"
#include "ftcore/files.hpp"

#include <fstream>
#include <stdexcept>

#include "ftcore/nn/quant.hpp"

namespace ftcore::methods {

void freeze(nn::CausalLM& network) {
  for (auto& p : network.parameters()) p.set_requires_grad(false);
}

nlohmann::json read_json(const std::filesystem::path& file) {
  if (!files::is_regular(file)) throw std::invalid_argument(file.string() + ": cannot read the file (not a regular file)");
  try {
    return nlohmann::json::parse(files::read_regular(file, "JSON file"));
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(file.string() + ": invalid JSON: " + e.what());
  }
}

bool fan_in_fan_out(const nn::LinearLayer& base) {
  if (const auto* dense = dynamic_cast<const nn::Linear*>(&base)) return dense->fan_in_fan_out();
  if (const auto* quantised = dynamic_cast<const nn::quant::QuantizedLinear*>(&base)) return quantised->fan_in_fan_out();
  return false;
}

nlohmann::json peft_lora_config(const SaveInfo& info, const Selection& selection, bool fan_in_fan_out) {
  using nlohmann::json;
  return json{{"alpha_pattern", json::object()},
              {"auto_mapping", nullptr},
              {"base_model_name_or_path", info.base_model.string()},
              {"bias", "none"},
              {"fan_in_fan_out", fan_in_fan_out},
              {"inference_mode", true},
              {"init_lora_weights", true},
              {"layer_replication", nullptr},
              {"layers_pattern", selection.layers_pattern},
              {"layers_to_transform", selection.layers},
              {"loftq_config", json::object()},
              {"megatron_config", nullptr},
              {"megatron_core", "megatron.core"},
              {"modules_to_save", nullptr},
              {"rank_pattern", json::object()},
              {"revision", nullptr},
              {"target_modules", selection.targets},
              {"task_type", "CAUSAL_LM"},
              {"use_dora", false},
              {"use_rslora", false}};
}

}  // namespace ftcore::methods
