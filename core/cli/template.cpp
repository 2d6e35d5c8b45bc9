// ftcore template: the prompt exactly as training renders it, with --mask showing what trains.
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "chat/chat_template.hpp"
#include "chat/conversation.hpp"
#include "commands.hpp"
#include "data/dataset.hpp"
#include "errors.hpp"
#include "session.hpp"

namespace ftcore::cli {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json read_json_file(const std::string& path, const char* option) {
  std::ifstream in(path);
  if (!in) throw UsageError(std::string("--") + option + " '" + path + "': cannot read the file");
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw UsageError(std::string("--") + option + " '" + path + "': invalid JSON: " + e.what());
  }
}

/// --messages as a plain message list / {"messages", "tools"} object goes through the openai
/// format; any other file is read as a dataset and one record is taken.
Sample load_conversation(const Session& session) {
  const auto& config = session.config;
  std::string path = *config.text("messages");
  json document = json::parse(std::ifstream(path), nullptr, false);
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

std::string marked(const chat::RenderedConversation& rendered) {
  std::string out;
  std::size_t at = 0;
  for (const auto& [begin, end] : rendered.trained) {
    out += rendered.text.substr(at, begin - at) + "[TRAIN]" + rendered.text.substr(begin, end - begin) + "[/TRAIN]";
    at = end;
  }
  return out + rendered.text.substr(at);
}

}  // namespace

int render_template(const Session& session);

int template_command(const Args& args) {
  Session session;
  if (!open_session(session, config::kTemplate, "template",
                    "ftcore template --model DIR --messages FILE [--add-generation-prompt] [--tools FILE] [--mask]",
                    args))
    return kExitOk;
  try {
    return render_template(session);
  } catch (const tmpl::TemplateError& e) {
    // The checkpoint's template does not parse, or refuses this conversation (raise_exception).
    throw UsageError(e.what());
  }
}

int render_template(const Session& session) {
  const auto& config = session.config;
  auto model = config.text("model");
  if (!model) throw UsageError("no model given: pass --model DIR (a directory with tokenizer_config.json)");
  if (!config.text("messages")) throw UsageError("no conversation given: pass --messages FILE");
  chat::ChatTemplate chat = chat::ChatTemplate::from_model_dir(*model, config.text("chat-template").value_or(""));

  Sample sample = load_conversation(session);
  if (sample.kind != Sample::Kind::conversation)
    throw UsageError("the record is " + std::string(sample_kind_name(sample.kind)) +
                     ", not a conversation: no chat template applies to it");
  if (auto tools = config.text("tools")) sample.tools = read_json_file(*tools, "tools");

  chat::RenderedConversation rendered;
  if (config.flag("add-generation-prompt")) {
    std::string key = chat::reasoning_field(chat.source());
    rendered.text = chat.render(chat::to_template_messages(sample.messages, key), chat::to_template_tools(sample), true).text;
  } else {
    rendered = chat::render_conversation(chat, sample);
  }
  if (config.flag("json")) {
    json out{{"text", rendered.text}, {"trained", json::array()}};
    for (const auto& [begin, end] : rendered.trained) out["trained"].push_back({begin, end});
    std::cout << out.dump() << "\n";
  } else {
    std::cout << (config.flag("mask") ? marked(rendered) : rendered.text);
  }
  return kExitOk;
}

}  // namespace ftcore::cli
