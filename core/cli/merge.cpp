// ftcore merge: a base model with an adapter folded into its weights, written as a Hugging Face
// model directory that transformers loads without peft.
#include <filesystem>
#include <iostream>

#include "cli_inputs.hpp"
#include "commands.hpp"
#include "errors.hpp"
#include "ftcore/nn/io.hpp"
#include "model/model_dir.hpp"
#include "session.hpp"
#include "train/checkpoints.hpp"

namespace ftcore::cli {

int merge_command(const Args& args) {
  Session session;
  if (!open_session(session, config::kMerge, "merge", "ftcore merge --model DIR [--adapter DIR] --output DIR", args))
    return kExitOk;
  const auto& config = session.config;
  auto output = config.text("output");
  if (!output) throw UsageError("no output directory: pass --output DIR for the merged model");
  const std::filesystem::path out = *output;
  if (std::filesystem::exists(out) && !std::filesystem::is_empty(out) && !config.flag("overwrite"))
    throw UsageError("--output '" + out.string() + "' exists and is not empty; pass --overwrite to replace it");
  model::Model model = load_session_model(session);
  auto adapter = load_session_adapter(session, model);
  if (!adapter)
    throw UsageError("no adapter to merge: " + model.dir.string() + " has no lora/ folder; pass --adapter DIR");
  adapter->merge();
  train::write_atomically(out, [&](const std::filesystem::path& staging) { nn::save_model_dir(*model.network, model.dir, staging); });
  std::cout << "merged " << adapter->summary() << " into " << out.string() << "\n";
  return kExitOk;
}

}  // namespace ftcore::cli
