#include <memory>

#include "ftcore/plugin.hpp"
#include "lora/lora_method.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::methods::LoraMethod>());
}

FTCORE_PLUGIN("method-lora", "0.1.0", "LoRA adapters, saved as PEFT adapters", register_components)
