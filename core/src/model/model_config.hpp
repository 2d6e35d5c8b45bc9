#pragma once
// config.json, the handler that reads it, and the chat template a model directory renders with.
// No torch here: commands that only need these stay light.
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chat/chat_template.hpp"
#include "ftcore/registry.hpp"

namespace ftcore::model {

/// A JSON file; UsageError naming it when unreadable or invalid.
nlohmann::json read_json_file(const std::filesystem::path& file);

/// config.json of a model directory; UsageError when missing or not a JSON object.
nlohmann::json read_config(const std::filesystem::path& model_dir);

/// The handler named `name`, or the installed handler that recognises the config best.
/// UsageError listing the installed handlers (and docs/howto-add-a-model-family.md) otherwise.
const ModelHandler& choose_handler(const Registry& registry, const nlohmann::json& config,
                                   const std::optional<std::string>& name);

/// The checkpoint's chat template, or the handler's fallback when config.json names a family an
/// installed handler knows; UsageError when there is neither.
chat::ChatTemplate chat_template_for(const std::filesystem::path& dir, const Registry& registry,
                                     const std::string& name);

}  // namespace ftcore::model
