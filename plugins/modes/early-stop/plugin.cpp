#include "early-stop/early_stop.hpp"
#include "ftcore/plugin.hpp"

namespace {

std::unique_ptr<ftcore::StopPolicy> make() { return std::make_unique<ftcore::modes::EarlyStop>(); }

void register_components(ftcore::Registrar& registrar) {
  registrar.add_stop_policy("early-stop", ftcore::modes::EarlyStop().description(), &make);
}

}  // namespace

FTCORE_PLUGIN("mode-early-stop", "0.1.0", "Auto-stop rules: patience, overfitting, perfect loss, perplexity explosion",
              register_components)
