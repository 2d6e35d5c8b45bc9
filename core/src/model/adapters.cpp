#include "model/adapters.hpp"

#include "errors.hpp"
#include "util/text.hpp"

namespace ftcore::model {

namespace fs = std::filesystem;

const TrainingMethod& method_for_artefact(const Registry& registry, const fs::path& dir) {
  if (!fs::is_directory(dir)) throw UsageError("--adapter '" + dir.string() + "': no such directory");
  for (const TrainingMethod* method : registry.methods())
    if (method->recognises(dir)) return *method;
  auto names = registry.names(ComponentKind::method);
  throw UsageError("--adapter '" + dir.string() + "': no installed training method recognises it (installed: " +
                   (names.empty() ? std::string("none") : text::join(names, ", ")) +
                   "); expected a PEFT adapter (adapter_config.json + adapter_model.safetensors) or a model directory");
}

std::optional<fs::path> adapter_dir(const std::optional<std::string>& option, const fs::path& model_dir) {
  if (option) {
    if (*option == "none") return std::nullopt;
    return fs::path(*option);
  }
  for (const char* name : {"lora", "full"})
    if (fs::is_directory(model_dir / name)) return model_dir / name;
  return std::nullopt;
}

std::unique_ptr<MethodRun> apply_artefact(Model& model, const Registry& registry, const fs::path& dir, bool trainable) {
  const TrainingMethod& method = method_for_artefact(registry, dir);
  try {
    return method.load(*model.network, dir, trainable);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string(e.what()) + " (method '" + method.name() + "')");
  }
}

}  // namespace ftcore::model
