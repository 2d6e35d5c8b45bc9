#include "model/model_config.hpp"
#include "ftcore/files.hpp"

#include <fstream>

#include "errors.hpp"
#include "util/text.hpp"

namespace ftcore::model {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string installed_handlers(const Registry& registry) {
  auto names = registry.names(ComponentKind::handler);
  return names.empty() ? "none" : text::join(names, ", ");
}

}  // namespace

json read_json_file(const fs::path& file) {
  const std::string content = files::read_regular(file, "JSON file");
  try {
    return json::parse(content);
  } catch (const json::exception& e) {
    throw UsageError(file.string() + ": invalid JSON: " + e.what());
  }
}

json read_config(const fs::path& model_dir) {
  fs::path file = model_dir / "config.json";
  if (!fs::exists(file))
    throw UsageError("--model '" + model_dir.string() + "': no config.json there; point --model at a Hugging Face "
                     "model directory (or make one: ftcore init-model --family llama --out DIR)");
  json config = read_json_file(file);
  if (!config.is_object()) throw UsageError(file.string() + ": expected a JSON object");
  return config;
}

const ModelHandler& choose_handler(const Registry& registry, const json& config, const std::optional<std::string>& name) {
  if (name) {
    if (const ModelHandler* handler = registry.handler(*name)) return *handler;
    throw UsageError("--handler '" + *name + "': no such model handler" +
                     text::did_you_mean(*name, registry.names(ComponentKind::handler)) +
                     "; installed: " + installed_handlers(registry));
  }
  const ModelHandler* best = nullptr;
  int best_score = 0;
  for (const ModelHandler* handler : registry.handlers()) {
    int score = handler->recognise(config);
    if (score > best_score) best = handler, best_score = score;
  }
  if (best) return *best;
  std::string type = config.contains("model_type") && config["model_type"].is_string()
                         ? config["model_type"].get<std::string>()
                         : "(none)";
  throw UsageError("no installed model handler recognises model_type '" + type +
                   "' (installed: " + installed_handlers(registry) +
                   "); pass --handler NAME, or add the family: docs/howto-add-a-model-family.md");
}

chat::ChatTemplate chat_template_for(const fs::path& dir, const Registry& registry, const std::string& name) {
  std::optional<std::string> fallback;
  if (fs::exists(dir / "config.json")) {
    json config = read_config(dir);
    try {
      fallback = choose_handler(registry, config, std::nullopt).facts(config).fallback_chat_template;
    } catch (const UsageError&) {
      // No installed family knows this model: only the checkpoint's own template can apply.
    }
  }
  return chat::ChatTemplate::from_model_dir(dir, name, fallback);
}

}  // namespace ftcore::model
