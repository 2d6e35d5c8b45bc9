// ftcore run: resolve the configuration, load plugins and data, then train with the chosen
// handler and method.
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "data/dataset.hpp"
#include "data/inputs.hpp"
#include "errors.hpp"
#include "model/model_dir.hpp"
#include "session.hpp"
#include "util/text.hpp"

namespace ftcore::cli {

namespace {

namespace fs = std::filesystem;

std::string installed(const Registry& registry, ComponentKind kind) {
  auto names = registry.names(kind);
  return names.empty() ? "none" : text::join(names, ", ");
}

}  // namespace

int run_command(const Args& args) {
  Session session;
  if (!open_session(session, config::kRun, "run", "ftcore run --model DIR --data PATHS [OPTIONS]", args))
    return kExitOk;
  if (!session.command_line.positional.empty())
    throw UsageError("unexpected argument '" + session.command_line.positional[0] + "'");
  const config::Config& config = session.config;
  if (config.flag("print-config")) {
    std::cout << config.to_yaml(config::kRun);
    return kExitOk;
  }

  auto model = config.text("model");
  if (!model) throw UsageError("no model given: pass --model DIR (a Hugging Face model directory)");
  nlohmann::json model_config = model::read_config(*model);

  data::InputSelection selection{config.list("data"), config.text("data-subset").value_or(""),
                                 config.text("data-split").value_or("")};
  data::ResolvedInputs inputs = data::resolve_inputs(selection);
  data::Dataset dataset =
      data::load_dataset(inputs.files, session.registry, {config.text("format"), config.integer("max-examples")});
  std::size_t invalid = dataset.invalid.size();
  for (const auto& record : dataset.invalid) spdlog::warn("{}", record.str());
  spdlog::info("data: {} samples from {} file(s), {} invalid problem(s), {} unused", dataset.samples.size(),
               dataset.files.size(), invalid, dataset.unused);
  if (invalid && !config.flag("skip-invalid"))
    throw UsageError("the data has invalid records (listed above); fix them or pass --skip-invalid");
  if (dataset.samples.empty()) throw UsageError("no usable training records in --data");

  const ModelHandler& handler = model::choose_handler(session.registry, model_config, config.text("handler"));
  std::string method_name = *config.text("method");
  const TrainingMethod* method = session.registry.method(method_name);
  if (!method)
    throw UsageError("--method '" + method_name + "': no such training method" +
                     text::did_you_mean(method_name, session.registry.names(ComponentKind::method)) +
                     "; installed: " + installed(session.registry, ComponentKind::method));
  throw RunError("handler '" + handler.name() + "' and method '" + method->name() +
                 "' are installed, but this ftcore build has no trainer yet");
}

}  // namespace ftcore::cli
