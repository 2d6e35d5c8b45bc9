#include <memory>

#include "sharegpt_format.hpp"
#include "ftcore/plugin.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::formats::ShareGptFormat>());
}

FTCORE_PLUGIN("format-sharegpt", "0.1.0", "ShareGPT conversations (from/value)", register_components)
