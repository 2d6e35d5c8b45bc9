#include <memory>

#include "ftcore/plugin.hpp"
#include "full/full_method.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::methods::FullMethod>());
}

FTCORE_PLUGIN("method-full", "0.1.0", "Full fine-tuning, saved as a Hugging Face model directory", register_components)
