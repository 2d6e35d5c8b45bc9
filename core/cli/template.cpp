// ftcore template: the prompt exactly as training renders it, with --mask showing what trains.
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "chat/chat_template.hpp"
#include "chat/conversation.hpp"
#include "cli_inputs.hpp"
#include "commands.hpp"
#include "data/dataset.hpp"
#include "errors.hpp"
#include "model/model_config.hpp"
#include "session.hpp"

namespace ftcore::cli {

namespace {

using nlohmann::json;


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
  chat::ChatTemplate chat = model::chat_template_for(*model, session.registry, config.text("chat-template").value_or(""));

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
