#include "alpaca_format.hpp"

#include "ftcore/format_util.hpp"

namespace ftcore::formats {

using nlohmann::json;
using namespace format_util;

namespace {

const char* const kRequiredHint = "alpaca records need instruction and output";

std::string user_text(const std::string& instruction, const std::optional<std::string>& input) {
  if (!input || input->empty()) return instruction;
  return instruction + "\n\n" + *input;
}

/// Appends the [user, assistant] pairs of `history` (LLaMA-Factory style) to `messages`.
void append_history(const json& history, std::vector<Message>& messages) {
  if (!history.is_array()) throw_wrong_type("history", "an array of [user, assistant] pairs", history);
  for (std::size_t i = 0; i < history.size(); ++i) {
    const json& pair = history[i];
    const std::string pair_path = index_path("history", i);
    if (!pair.is_array()) throw_wrong_type(pair_path, "a [user, assistant] pair", pair);
    if (pair.size() != 2) {
      throw FormatError(pair_path, "'" + pair_path + "' must hold two strings [user, assistant], got " +
                                       std::to_string(pair.size()) + " items");
    }
    for (std::size_t turn = 0; turn < 2; ++turn) {
      if (!pair[turn].is_string()) throw_wrong_type(index_path(pair_path, turn), "a string", pair[turn]);
    }
    messages.push_back(text_message(Role::user, pair[0].get<std::string>()));
    messages.push_back(text_message(Role::assistant, pair[1].get<std::string>()));
  }
}

}  // namespace

std::string AlpacaFormat::name() const { return "alpaca"; }

std::string AlpacaFormat::description() const {
  return "Alpaca instructions: {instruction, input?, output, system?, history?}";
}

double AlpacaFormat::score(const json& record) const {
  return score_keys(record, {{"instruction", json::value_t::string}, {"output", json::value_t::string}});
}

Sample AlpacaFormat::convert(const json& record) const {
  require_record_object(record, "alpaca");
  const std::string instruction = require_string(record, "instruction", "", kRequiredHint);
  const std::string output = require_string(record, "output", "", kRequiredHint);
  const std::optional<std::string> input = optional_string(record, "input", "");
  const std::optional<std::string> system = optional_string(record, "system", "");

  Sample sample;
  sample.kind = Sample::Kind::conversation;
  if (system && !system->empty()) sample.messages.push_back(text_message(Role::system, *system));
  if (const json* history = find_member(record, "history")) append_history(*history, sample.messages);
  sample.messages.push_back(text_message(Role::user, user_text(instruction, input)));
  sample.messages.push_back(text_message(Role::assistant, output));
  return sample;
}

std::vector<json> AlpacaFormat::examples() const {
  return {
      {{"instruction", "What is ftcore?"},
       {"input", ""},
       {"output", "ftcore is a native C++ engine for fine-tuning language models with libtorch."}},
      {{"instruction", "Translate the sentence to French."},
       {"input", "The model learns quickly."},
       {"output", "Le modèle apprend vite."},
       {"system", "You are a careful translator."}},
      {{"instruction", "And which file format does it save adapters in?"},
       {"output", "Adapters are saved in the PEFT format: adapter_config.json and "
                  "adapter_model.safetensors."},
       {"history", json::array({json::array({"Does ftcore support LoRA?",
                                             "Yes, LoRA is one of its adapter methods."})})}},
  };
}

}  // namespace ftcore::formats
