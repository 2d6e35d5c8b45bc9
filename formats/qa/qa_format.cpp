#include "qa_format.hpp"

#include "ftcore/format_util.hpp"

namespace ftcore::formats {

using nlohmann::json;
using namespace format_util;

namespace {

const char* const kRequiredHint = "qa records need question and answer";

std::string user_text(const std::string& question, const std::optional<std::string>& context) {
  if (!context || context->empty()) return question;
  return "Context:\n" + *context + "\n\nQuestion:\n" + question;
}

}  // namespace

std::string QaFormat::name() const { return "qa"; }

std::string QaFormat::description() const {
  return "Question answering: {question, answer, context?}";
}

double QaFormat::score(const json& record) const {
  return score_keys(record, {{"question", json::value_t::string}, {"answer", json::value_t::string}});
}

Sample QaFormat::convert(const json& record) const {
  require_record_object(record, "qa");
  const std::string question = require_string(record, "question", "", kRequiredHint);
  const std::string answer = require_string(record, "answer", "", kRequiredHint);
  const std::optional<std::string> context = optional_string(record, "context", "");

  Sample sample;
  sample.kind = Sample::Kind::conversation;
  sample.messages.push_back(text_message(Role::user, user_text(question, context)));
  sample.messages.push_back(text_message(Role::assistant, answer));
  return sample;
}

std::vector<json> QaFormat::examples() const {
  return {
      {{"question", "What is the boiling point of water at sea level?"},
       {"answer", "100 degrees Celsius."}},
      {{"question", "Where does ftcore save LoRA adapters?"},
       {"answer", "In the lora/ folder of the output directory."},
       {"context", "After training, ftcore writes adapters to <output>/lora in the PEFT format."}},
  };
}

}  // namespace ftcore::formats
