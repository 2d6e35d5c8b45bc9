#include <memory>

#include "qa_format.hpp"
#include "ftcore/plugin.hpp"

static void register_components(ftcore::Registrar& registrar) {
  registrar.add(std::make_unique<ftcore::formats::QaFormat>());
}

FTCORE_PLUGIN("format-qa", "0.1.0", "Question/answer records with optional context", register_components)
