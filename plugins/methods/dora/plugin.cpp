#include <memory>

#include "ftcore/plugin.hpp"
#include "lora/lora_method.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::methods::LoraMethod>(ftcore::methods::LoraMethod::Variant::dora));
}

FTCORE_PLUGIN("method-dora", "0.1.0", "DoRA adapters, saved as PEFT adapters (LoRA with use_dora)", register_components)
