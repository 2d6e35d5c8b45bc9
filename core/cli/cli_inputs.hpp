#pragma once
// Inputs several commands read the same way: a conversation file (--messages), a JSON file, the
// model directory with its precision.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "ftcore/sample.hpp"
#include "ftcore/training_method.hpp"
#include "session.hpp"

namespace ftcore::model {
struct Model;
}

namespace ftcore::cli {

/// A JSON file named by option `--option`; UsageError naming it when unreadable or invalid.
nlohmann::json read_json_file(const std::string& path, const char* option);

/// --messages: a plain message list or {"messages", "tools"} object (read as the openai format),
/// or one record (--record N) of a dataset file in any format.
Sample load_conversation(const Session& session);

/// --model with --handler, --precision (auto: fp32 on CPU for inference) and --chat-template.
model::Model load_session_model(const Session& session);

/// --adapter (default <model>/lora or <model>/full when there) applied to the model; null when
/// there is none.
std::unique_ptr<MethodRun> load_session_adapter(const Session& session, model::Model& model);

}  // namespace ftcore::cli
