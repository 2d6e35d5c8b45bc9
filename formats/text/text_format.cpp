#include "text_format.hpp"

#include "ftcore/format_util.hpp"

namespace ftcore::formats {

using nlohmann::json;
using namespace format_util;

namespace {
// An object with keys besides "text" may be a record of another format that has a text field.
constexpr double kExtraKeysFactor = 0.6;
// Any line of a .txt file is text, so a bare string scores only half: a format that recognises a
// particular shape of line (e.g. "prompt<TAB>completion") wins over plain text.
constexpr double kBareStringScore = 0.5;
}  // namespace

std::string TextFormat::name() const { return "text"; }

std::string TextFormat::description() const {
  return "Plain text: a line of a .txt file or {\"text\": ...}; all of it trains";
}

double TextFormat::score(const json& record) const {
  if (record.is_string()) return kBareStringScore;
  const double score = score_keys(record, {{"text", json::value_t::string}});
  return record.size() > 1 ? score * kExtraKeysFactor : score;
}

Sample TextFormat::convert(const json& record) const {
  Sample sample;
  sample.kind = Sample::Kind::text;
  if (record.is_string()) {
    sample.text = record.get<std::string>();
    return sample;
  }
  if (!record.is_object()) {
    throw FormatError("", "text records must be strings or JSON objects with \"text\", got " +
                              type_name(record));
  }
  sample.text = require_string(record, "text", "", "text records are {\"text\": \"...\"}");
  return sample;
}

std::vector<json> TextFormat::examples() const {
  return {
      "ftcore is a C++ engine for fine-tuning language models.",
      {{"text", "Water boils at 100 degrees Celsius at sea level."}},
  };
}

}  // namespace ftcore::formats
