#include <memory>

#include "alpaca_format.hpp"
#include "ftcore/plugin.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::formats::AlpacaFormat>());
}

FTCORE_PLUGIN("format-alpaca", "0.1.0", "Alpaca instruction records", register_components)
