#include <memory>

#include "gemma_handler.hpp"
#include "ftcore/plugin.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::handlers::GemmaHandler>());
}

FTCORE_PLUGIN("handler-gemma", "0.1.0", "The gemma model family", register_components)
