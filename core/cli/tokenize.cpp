// ftcore tokenize: text in, token ids (and tokens) out, or the reverse with --decode.
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "errors.hpp"
#include "ftcore/files.hpp"
#include "session.hpp"
#include "tokenizer/tokenizer.hpp"
#include "util/text.hpp"

namespace ftcore::cli {

namespace {

using nlohmann::json;

/// A line is either a JSON string (so texts may hold newlines) or the text itself.
std::string text_of_line(const std::string& line) {
  if (!line.empty() && line.front() == '"') {
    json parsed = json::parse(line, nullptr, false);
    if (parsed.is_string()) return parsed.get<std::string>();
  }
  return line;
}

std::vector<std::int32_t> ids_of_line(const std::string& line, std::size_t number) {
  std::vector<std::int32_t> ids;
  std::string trimmed = text::trim(line);
  if (!trimmed.empty() && trimmed.front() == '[') {
    json parsed = json::parse(trimmed, nullptr, false);
    if (parsed.is_array()) {
      for (const auto& id : parsed)
        if (id.is_number_integer()) ids.push_back(id.get<std::int32_t>());
        else throw UsageError("line " + std::to_string(number) + ": token ids must be integers");
      return ids;
    }
  }
  for (const auto& word : text::split(trimmed, ' ')) {
    try {
      std::size_t used = 0;
      ids.push_back(std::stoi(word, &used));
      if (used != word.size()) throw std::invalid_argument(word);
    } catch (const std::exception&) {
      throw UsageError("line " + std::to_string(number) + ": '" + word + "' is not a token id; give a JSON array "
                       "or space-separated integers");
    }
  }
  return ids;
}

/// A tokenizer.json that is missing or malformed is bad input (exit 2), not a failure while running.
tok::Tokenizer load_tokenizer(const std::filesystem::path& file) {
  try {
    return tok::Tokenizer::from_file(file);
  } catch (const tok::TokenizerError& e) {
    throw UsageError(e.what());
  }
}

}  // namespace

int tokenize_command(const Args& args) {
  Session session;
  if (!open_session(session, config::kTokenize, "tokenize",
                    "ftcore tokenize --model DIR [--input FILE] [--decode] [--json]", args))
    return kExitOk;
  const auto& config = session.config;
  auto model = config.text("model");
  if (!model) throw UsageError("no model given: pass --model DIR (a directory with tokenizer.json)");
  tok::Tokenizer tokenizer = load_tokenizer(std::filesystem::path(*model) / "tokenizer.json");

  std::istringstream file;
  if (auto input = config.text("input")) file.str(files::read_regular(*input, "--input file"));
  std::istream& in = config.text("input") ? file : std::cin;
  bool as_json = config.flag("json");
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (config.flag("decode")) {
      std::string text = tokenizer.decode(ids_of_line(line, number), config.flag("skip-special-tokens"));
      std::cout << (as_json ? json(text).dump() : text) << "\n";
      continue;
    }
    tok::Encoding encoding = tokenizer.encode(text_of_line(line), config.flag("add-special-tokens"));
    if (as_json) {
      std::cout << json(encoding.ids).dump() << "\n";
    } else {
      std::vector<std::string> ids;
      for (auto id : encoding.ids) ids.push_back(std::to_string(id));
      std::cout << "ids:    " << text::join(ids, " ") << "\ntokens: " << json(encoding.tokens).dump() << "\n";
    }
  }
  return kExitOk;
}

}  // namespace ftcore::cli
