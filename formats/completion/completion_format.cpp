#include "completion_format.hpp"

#include "ftcore/format_util.hpp"

namespace ftcore::formats {

using nlohmann::json;
using namespace format_util;

namespace {
const char* const kRequiredHint = "completion records need prompt and completion";
}  // namespace

std::string CompletionFormat::name() const { return "completion"; }

std::string CompletionFormat::description() const {
  return "Prompt/completion pairs: {prompt, completion}; only the completion trains";
}

double CompletionFormat::score(const json& record) const {
  return score_keys(record,
                    {{"prompt", json::value_t::string}, {"completion", json::value_t::string}});
}

Sample CompletionFormat::convert(const json& record) const {
  require_record_object(record, "completion");
  Sample sample;
  sample.kind = Sample::Kind::prompt_completion;
  sample.prompt = require_string(record, "prompt", "", kRequiredHint);
  sample.completion = require_string(record, "completion", "", kRequiredHint);
  return sample;
}

std::vector<json> CompletionFormat::examples() const {
  return {
      {{"prompt", "The capital of France is"}, {"completion", " Paris."}},
      {{"prompt", "ftcore loads plugins from"},
       {"completion", " lib/ftcore/plugins, FTCORE_PLUGIN_PATH and --plugin paths."}},
  };
}

}  // namespace ftcore::formats
