#include "force-epochs/force_epochs.hpp"
#include "ftcore/plugin.hpp"

namespace {

std::unique_ptr<ftcore::StopPolicy> make() { return std::make_unique<ftcore::modes::ForceEpochs>(); }

void register_components(ftcore::Registrar& registrar) {
  registrar.add_stop_policy("force-epochs", ftcore::modes::ForceEpochs().description(), &make);
}

}  // namespace

FTCORE_PLUGIN("mode-force-epochs", "0.1.0", "Runs every requested epoch; no auto-stop", register_components)
