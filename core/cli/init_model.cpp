// ftcore init-model: a small random model of any installed family, for demos and tests.
#include <iostream>

#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "data/dataset.hpp"
#include "data/inputs.hpp"
#include "errors.hpp"
#include "model/init_model.hpp"
#include "session.hpp"
#include "util/text.hpp"

namespace ftcore::cli {

namespace {

/// Every piece of text in the samples: what the tokenizer is trained on.
std::vector<std::string> sample_texts(const std::vector<Sample>& samples) {
  std::vector<std::string> texts;
  for (const auto& s : samples) {
    for (const auto& m : s.messages) {
      if (m.content) texts.push_back(*m.content);
      if (!m.reasoning.empty()) texts.push_back(m.reasoning);
      for (const auto& call : m.tool_calls) texts.push_back(call.name + " " + call.arguments);
    }
    for (const auto* t : {&s.prompt, &s.completion, &s.text})
      if (!t->empty()) texts.push_back(*t);
  }
  return texts;
}

}  // namespace

int init_model_command(const Args& args) {
  Session session;
  if (!open_session(session, config::kInitModel, "init-model",
                    "ftcore init-model --family NAME [--preset tiny] --output DIR [--tokenizer-data PATHS]", args))
    return kExitOk;
  const auto& config = session.config;
  auto family = config.text("family");
  auto names = session.registry.names(ComponentKind::handler);
  if (!family) throw UsageError("no family given: pass --family NAME (installed: " + text::join(names, ", ") + ")");
  const ModelHandler* handler = session.registry.handler(*family);
  if (!handler)
    throw UsageError("--family '" + *family + "': no such model handler" + text::did_you_mean(*family, names) +
                     "; installed: " + text::join(names, ", "));

  model::InitOptions options;
  options.preset = *config.text("preset");
  options.vocab_size = config.integer("vocab-size").value_or(0);
  options.seed = static_cast<std::uint64_t>(*config.integer("seed"));
  options.out = config.text("output").value_or("");
  options.overwrite = config.flag("overwrite");
  options.weights_dtype = *config.text("weights-dtype");
  auto data = config.list("tokenizer-data");
  if (!data.empty()) {
    data::Dataset dataset = data::load_dataset(data::resolve_inputs({data, "", ""}).files, session.registry, {});
    for (const auto& record : dataset.invalid) spdlog::warn("{} (left out of the tokenizer's training text)", record.str());
    options.texts = sample_texts(dataset.samples);
    spdlog::info("tokenizer: training on {} texts from {} record(s)", options.texts.size(), dataset.samples.size());
  }
  std::int64_t parameters = model::init_model(*handler, options);
  std::cout << "wrote " << options.out.string() << ": " << handler->name() << " " << options.preset << ", "
            << parameters << " parameters (seed " << options.seed << ")\n";
  return kExitOk;
}

}  // namespace ftcore::cli
