#include <memory>

#include "adalora/adalora_method.hpp"
#include "ftcore/plugin.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::methods::AdaLoraMethod>());
}

FTCORE_PLUGIN("method-adalora", "0.1.0", "AdaLoRA adapters with PEFT's rank allocator, saved as PEFT adapters",
              register_components)
