#include <memory>

#include "completion_format.hpp"
#include "ftcore/plugin.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::formats::CompletionFormat>());
}

FTCORE_PLUGIN("format-completion", "0.1.0", "Prompt/completion pairs", register_components)
