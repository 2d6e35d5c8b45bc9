#include "cli_inputs.hpp"
#include "ftcore/files.hpp"

#include <fstream>

#include <spdlog/spdlog.h>

#include "data/dataset.hpp"
#include "errors.hpp"
#include "model/adapters.hpp"
#include "model/model_dir.hpp"

namespace ftcore::cli {

using nlohmann::json;

json read_json_file(const std::string& path, const char* option) {
  const std::string content = files::read_regular(path, std::string("--") + option + " file");
  try {
    return json::parse(content);
  } catch (const json::exception& e) {
    throw UsageError(std::string("--") + option + " '" + path + "': invalid JSON: " + e.what());
  }
}

/// --messages as a plain message list / {"messages", "tools"} object goes through the openai
/// format; any other file is read as a dataset and one record is taken.
Sample load_conversation(const Session& session) {
  const auto& config = session.config;
  std::string path = *config.text("messages");
  json document = json::parse(files::read_regular(path, "--messages file"), nullptr, false);
  bool message_list = document.is_array() && !document.empty() && document[0].is_object() &&
                      document[0].contains("role");
  std::int64_t wanted = config.integer("record").value_or(1);
  if (message_list) document = json{{"messages", document}};
  if (message_list || (document.is_object() && document.contains("messages"))) {
    const DatasetFormat* openai = session.registry.format("openai");
    if (!openai) throw UsageError("the openai format plugin is not installed; `ftcore plugins` shows what is");
    try {
      return openai->convert(document);
    } catch (const FormatError& e) {
      throw UsageError(path + ": " + e.field() + ": " + e.what());
    }
  }
  data::Dataset dataset = data::load_dataset({path}, session.registry, {config.text("format"), wanted});
  if (static_cast<std::int64_t>(dataset.samples.size()) < wanted) {
    if (!dataset.invalid.empty()) throw UsageError(dataset.invalid.front().str());
    throw UsageError("--record " + std::to_string(wanted) + ": " + path + " has only " +
                     std::to_string(dataset.samples.size()) + " valid records");
  }
  return dataset.samples[static_cast<std::size_t>(wanted - 1)];
}

model::Model load_session_model(const Session& session) {
  const auto& config = session.config;
  auto dir = config.text("model");
  if (!dir) throw UsageError("no model given: pass --model DIR (a Hugging Face model directory)");
  model::LoadOptions options;
  options.handler = config.text("handler");
  std::string precision = config.text("precision").value_or("auto");
  options.dtype = precision == "auto" ? torch::kFloat32 : model::parse_precision(precision);
  options.chat_template = config.text("chat-template").value_or("");
  return model::load_model(*dir, session.registry, options);
}

std::unique_ptr<MethodRun> load_session_adapter(const Session& session, model::Model& model) {
  auto dir = model::adapter_dir(session.config.text("adapter"), model.dir);
  if (!dir) return nullptr;
  auto run = model::apply_artefact(model, session.registry, *dir, false);
  spdlog::info("adapter: {} ({})", dir->string(), run->summary());
  return run;
}

}  // namespace ftcore::cli
