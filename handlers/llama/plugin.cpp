#include <memory>

#include "llama_handler.hpp"
#include "ftcore/plugin.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::handlers::LlamaHandler>());
}

FTCORE_PLUGIN("handler-llama", "0.1.0", "The llama model family", register_components)
