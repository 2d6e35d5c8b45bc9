#include "ftcore/plugin.hpp"
#include "presets/presets.hpp"

namespace {

void register_components(ftcore::Registrar& registrar) { ftcore::modes::register_presets(registrar); }

}  // namespace

FTCORE_PLUGIN("mode-presets", "0.1.0", "Training paces: slow, medium, fast, non-stop", register_components)
