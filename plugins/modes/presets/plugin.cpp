#include "ftcore/plugin.hpp"
#include "presets/presets.hpp"

namespace {

template <int Index>
std::unique_ptr<ftcore::StopPolicy> make() {
  return std::make_unique<ftcore::modes::PresetPolicy>(ftcore::modes::presets().at(Index));
}

void register_components(ftcore::Registrar& registrar) {
  using ftcore::modes::presets;
  std::unique_ptr<ftcore::StopPolicy> (*factories[])() = {&make<0>, &make<1>, &make<2>, &make<3>};
  static_assert(sizeof factories / sizeof factories[0] == 4, "one factory per preset");
  for (std::size_t i = 0; i < presets().size(); ++i)
    registrar.add_stop_policy(presets()[i].name, presets()[i].description, factories[i]);
}

}  // namespace

FTCORE_PLUGIN("mode-presets", "0.1.0", "Training paces: slow, medium, fast, non-stop", register_components)
