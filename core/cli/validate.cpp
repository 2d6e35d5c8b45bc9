// ftcore validate: every record checked, every problem shown with file:line, totals per format.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>

#include <spdlog/spdlog.h>

#include "chat/chat_template.hpp"
#include "chat/conversation.hpp"
#include "commands.hpp"
#include "data/dataset.hpp"
#include "data/inputs.hpp"
#include "errors.hpp"
#include "model/model_config.hpp"
#include "session.hpp"
#include "tokenizer/tokenizer.hpp"

namespace ftcore::cli {

namespace {

struct FormatTotals {
  std::size_t files = 0, records = 0, valid = 0, invalid = 0;
};

void print_report(const data::Dataset& dataset, const data::ResolvedInputs& inputs, std::ostream& out) {
  for (const auto& record : dataset.invalid) out << record.str() << "\n";
  if (!dataset.invalid.empty()) out << "\n";

  out << std::left << std::setw(44) << "file" << std::setw(12) << "kind" << std::setw(12) << "format"
      << std::right << std::setw(8) << "records" << std::setw(8) << "valid" << std::setw(9) << "invalid" << "\n";
  std::map<std::string, FormatTotals> per_format;
  for (const auto& f : dataset.files) {
    std::string format = f.format.empty() ? "?" : f.format + (f.detected ? "" : " (given)");
    out << std::left << std::setw(44) << f.file.string() << std::setw(12) << data::file_kind_name(f.kind)
        << std::setw(12) << format << std::right << std::setw(8) << f.records << std::setw(8) << f.valid
        << std::setw(9) << f.invalid << "\n";
    auto& totals = per_format[f.format.empty() ? "(unknown)" : f.format];
    ++totals.files;
    totals.records += f.records;
    totals.valid += f.valid;
    totals.invalid += f.invalid;
  }
  out << "\ntotals per format:\n";
  FormatTotals all;
  for (const auto& [format, t] : per_format) {
    out << "  " << std::left << std::setw(12) << format << std::right << t.records << " records, " << t.valid
        << " valid, " << t.invalid << " invalid (" << t.files << (t.files == 1 ? " file" : " files") << ")\n";
    all.records += t.records;
    all.valid += t.valid;
    all.invalid += t.invalid;
  }
  out << "total: " << all.records << " records, " << all.valid << " valid, " << all.invalid << " invalid";
  if (dataset.unused) out << ", " << dataset.unused << " valid records not used (--max-examples)";
  out << "\n";
  if (!inputs.ignored.empty()) {
    out << "ignored " << inputs.ignored.size() << " file(s) that are not .json/.jsonl/.txt:";
    for (const auto& f : inputs.ignored) out << " " << f.string();
    out << "\n";
  }
}

/// The text a sample trains on, as the model sees it: conversations through the chat template.
std::string rendered_text(const Sample& sample, const chat::ChatTemplate* chat) {
  switch (sample.kind) {
    case Sample::Kind::conversation: return chat::render_conversation(*chat, sample).text;
    case Sample::Kind::prompt_completion: return sample.prompt + sample.completion;
    case Sample::Kind::text: return sample.text;
  }
  return "";
}

/// Token counts per format with the model's tokenizer and chat template (--model).
void print_token_statistics(const data::Dataset& dataset, const std::string& model_dir, const Registry& registry,
                            const std::string& template_name, std::ostream& out) {
  tok::Tokenizer tokenizer = [&] {
    try {
      return tok::Tokenizer::from_file(std::filesystem::path(model_dir) / "tokenizer.json");
    } catch (const tok::TokenizerError& e) {
      throw UsageError(e.what());
    }
  }();
  std::optional<chat::ChatTemplate> chat;
  std::map<std::string, std::vector<std::size_t>> lengths;
  for (const auto& sample : dataset.samples) {
    const bool conversation = sample.kind == Sample::Kind::conversation;
    if (conversation && !chat) chat = model::chat_template_for(model_dir, registry, template_name);
    std::string text = rendered_text(sample, chat ? &*chat : nullptr);
    // A chat template writes its own special tokens, so the post-processor adds none to it.
    lengths[sample.format].push_back(tokenizer.encode_ids(text, !conversation).size());
  }
  out << "\ntokens per record (" << model_dir << "):\n";
  for (auto& [format, counts] : lengths) {
    std::sort(counts.begin(), counts.end());
    std::size_t total = 0;
    for (auto n : counts) total += n;
    out << "  " << std::left << std::setw(12) << format << std::right << "total " << total << ", mean "
        << total / counts.size() << ", median " << counts[counts.size() / 2] << ", p95 "
        << counts[std::min(counts.size() - 1, counts.size() * 95 / 100)] << ", max " << counts.back() << "\n";
  }
}

}  // namespace

int validate_command(const Args& args) {
  Session session;
  if (!open_session(session, config::kValidate, "validate", "ftcore validate --data PATHS [--format NAME] [--model DIR] [OPTIONS]",
                    args))
    return kExitOk;
  if (!session.command_line.positional.empty())
    throw UsageError("unexpected argument '" + session.command_line.positional[0] +
                     "'; give data files with --data");
  const auto& config = session.config;
  data::InputSelection selection{config.list("data"), config.text("data-subset").value_or(""),
                                 config.text("data-split").value_or("")};
  data::ResolvedInputs inputs = data::resolve_inputs(selection);
  data::Dataset dataset =
      data::load_dataset(inputs.files, session.registry, {config.text("format"), config.integer("max-examples")});
  print_report(dataset, inputs, std::cout);
  if (auto model = config.text("model")) {
    try {
      print_token_statistics(dataset, *model, session.registry, config.text("chat-template").value_or(""), std::cout);
    } catch (const tmpl::TemplateError& e) {
      throw UsageError(e.what());
    }
  }

  std::size_t invalid = 0;
  for (const auto& f : dataset.files) invalid += f.invalid;
  if (invalid == 0) return kExitOk;
  if (config.flag("skip-invalid")) {
    spdlog::warn("{} invalid record(s) would be skipped (--skip-invalid)", invalid);
    return kExitOk;
  }
  spdlog::error("{} invalid record(s); fix them, or pass --skip-invalid to train without them", invalid);
  return kExitUsage;
}

}  // namespace ftcore::cli
