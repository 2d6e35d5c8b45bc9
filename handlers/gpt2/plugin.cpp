#include <memory>

#include "gpt2_handler.hpp"
#include "ftcore/plugin.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::handlers::Gpt2Handler>());
}

FTCORE_PLUGIN("handler-gpt2", "0.1.0", "The gpt2 model family", register_components)
