#include <memory>

#include "openai_format.hpp"
#include "ftcore/plugin.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::formats::OpenAiFormat>());
}

FTCORE_PLUGIN("format-openai", "0.1.0", "OpenAI chat messages with tool calls and reasoning", register_components)
