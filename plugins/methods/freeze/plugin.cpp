#include <memory>

#include "freeze/freeze_method.hpp"
#include "ftcore/plugin.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::methods::FreezeMethod>());
}

FTCORE_PLUGIN("method-freeze", "0.1.0", "Freeze tuning (the last N layers train), saved as a Hugging Face model directory",
              register_components)
