#pragma once
// Artefacts of training methods (a PEFT adapter, fine-tuned weights) applied to a loaded model.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "ftcore/registry.hpp"
#include "ftcore/training_method.hpp"
#include "model/model_dir.hpp"

namespace ftcore::model {

/// The installed method that recognises the artefact in `dir`; UsageError otherwise.
const TrainingMethod& method_for_artefact(const Registry& registry, const std::filesystem::path& dir);

/// --adapter: a directory, "none", or (not given) <model>/lora, else <model>/full, when present.
std::optional<std::filesystem::path> adapter_dir(const std::optional<std::string>& option,
                                                 const std::filesystem::path& model_dir);

/// Loads the artefact into the model's network (UsageError naming the file on a mismatch).
std::unique_ptr<MethodRun> apply_artefact(Model& model, const Registry& registry, const std::filesystem::path& dir,
                                          bool trainable);

}  // namespace ftcore::model
