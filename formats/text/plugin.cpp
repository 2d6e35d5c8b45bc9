#include <memory>

#include "text_format.hpp"
#include "ftcore/plugin.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::formats::TextFormat>());
}

FTCORE_PLUGIN("format-text", "0.1.0", "Plain text lines or {text} records", register_components)
