#include <memory>

#include "ftcore/plugin.hpp"
#include "lora/lora_method.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::methods::LoraMethod>(ftcore::methods::LoraMethod::Variant::qlora));
}

FTCORE_PLUGIN("method-qlora", "0.1.0", "QLoRA: LoRA adapters on a 4-bit (NF4/FP4) base, saved as PEFT adapters",
              register_components)
