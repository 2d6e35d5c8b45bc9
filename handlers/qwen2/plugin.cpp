#include <memory>

#include "qwen2_handler.hpp"
#include "ftcore/plugin.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::handlers::Qwen2Handler>());
}

FTCORE_PLUGIN("handler-qwen2", "0.1.0", "The qwen2 model family", register_components)
