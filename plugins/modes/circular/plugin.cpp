#include "circular/circular.hpp"
#include "ftcore/plugin.hpp"

namespace {

std::unique_ptr<ftcore::StopPolicy> make() { return std::make_unique<ftcore::modes::Circular>(); }

void register_components(ftcore::Registrar& registrar) {
  registrar.add_stop_policy("circular", ftcore::modes::Circular().description(), &make);
}

}  // namespace

FTCORE_PLUGIN("mode-circular", "0.1.0", "Cycles small datasets with a growing batch until perfect loss",
              register_components)
