#include <memory>

#include "mistral_handler.hpp"
#include "ftcore/plugin.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::handlers::MistralHandler>());
}

FTCORE_PLUGIN("handler-mistral", "0.1.0", "The mistral model family", register_components)
