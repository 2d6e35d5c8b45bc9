#include "adaptive/adaptive.hpp"
#include "ftcore/plugin.hpp"

namespace {

std::unique_ptr<ftcore::StopPolicy> make() { return std::make_unique<ftcore::modes::Adaptive>(); }

void register_components(ftcore::Registrar& registrar) {
  registrar.add_stop_policy("adaptive", ftcore::modes::Adaptive().description(), &make);
}

}  // namespace

FTCORE_PLUGIN("mode-adaptive", "0.1.0", "Lowers the learning rate or grows the batch on a loss plateau", register_components)
