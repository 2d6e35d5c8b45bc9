// ftcore run: resolve the configuration, load the model, data and method, train, and write the
// artefact (lora/ or full/), checkpoints, logs and the loss plot.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "data/dataset.hpp"
#include "data/inputs.hpp"
#include "errors.hpp"
#include "ftcore/nn/io.hpp"
#include "ftcore/version.hpp"
#include "log.hpp"
#include "model/model_dir.hpp"
#include "monitor/tensorboard_server.hpp"
#include "session.hpp"
#include "train/modes.hpp"
#include "train/outputs.hpp"
#include "train/trainer.hpp"
#include "training_setup.hpp"
#include "util/sha256.hpp"
#include "util/text.hpp"

namespace ftcore::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using config::Layer;

std::optional<std::int32_t> token_id(const model::Model& model, const char* key) {
  fs::path file = model.dir / "tokenizer_config.json";
  if (fs::exists(file)) {
    json tc = model::read_json_file(file);
    if (tc.contains(key) && !tc[key].is_null())
      if (auto id = model.tokenizer->token_to_id(chat::special_token_text(tc[key]))) return *id;
  }
  const std::string config_key = std::string(key) + "_id";
  const json& value = model.config.contains(config_key) ? model.config[config_key] : json();
  if (value.is_number_integer()) return value.get<std::int32_t>();
  if (value.is_array() && !value.empty() && value[0].is_number_integer()) return value[0].get<std::int32_t>();
  return std::nullopt;
}

/// Train and validation examples: a seeded split of the examples.
std::pair<std::vector<train::Example>, std::vector<train::Example>> split(std::vector<train::Example> examples, double fraction,
                                                                         std::uint64_t seed) {
  if (fraction < 0 || fraction >= 1) throw UsageError("--validation-split must be in [0, 1)");
  std::size_t held = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(examples.size())));
  if (fraction > 0 && held == 0 && examples.size() >= 2) held = 1;
  if (held >= examples.size()) held = examples.size() - 1;
  std::vector<train::Example> trained, validation;
  auto order = train::shuffled(examples.size(), seed);
  for (std::size_t i = 0; i < order.size(); ++i) (i < held ? validation : trained).push_back(std::move(examples[order[i]]));
  return {std::move(trained), std::move(validation)};
}

train::TrainerSettings trainer_settings(const config::Config& config, torch::ScalarType dtype) {
  train::TrainerSettings s;
  read_optimizer_settings(config, s);
  s.max_length = *config.integer("max-length");
  s.packing = config.flag("packing");
  s.epochs = config.number("epochs").value_or(3.0);
  s.max_steps = config.integer("max-steps");
  s.logging_steps = std::max<std::int64_t>(1, *config.integer("logging-steps"));
  s.eval_steps = config.integer("eval-steps");
  s.save_steps = config.integer("save-steps");
  s.save_total_limit = *config.integer("save-total-limit");
  s.fp16 = dtype == torch::kFloat16;
  s.restore_best = config.flag("restore-best");
  s.tensorboard_events = config.flag("tensorboard-events");
  const std::string progress = *config.text("progress");
  s.progress_bar = !log_is_json() && (progress == "bar" || (progress == "auto" && stderr_is_terminal()));
  if (s.max_length < 1) throw UsageError("--max-length must be at least 1");
  if (s.max_steps && *s.max_steps < 1) throw UsageError("--max-steps must be at least 1");
  if (!s.max_steps && !(s.epochs > 0)) throw UsageError("--epochs must be positive (or give --max-steps)");
  if (config.flag("tensorboard") && !s.tensorboard_events)
    throw UsageError("--tensorboard shows the event files that --no-tensorboard (--tensorboard-events false) turns off; keep one");
  if (auto port = config.integer("tensorboard-port"); *port < 1 || *port > 65535)
    throw UsageError("--tensorboard-port " + std::to_string(*port) + ": a port is 1-65535");
  return s;
}

/// The modes' plan into the trainer's settings; a learning rate the user gave is not scaled.
void apply_plan(train::TrainerSettings& s, const TrainingPlan& plan, const config::Config& config) {
  s.epochs = plan.epochs;
  if (plan.learning_rate_scale != 1.0) {
    const config::Setting* lr = config.find("learning-rate");
    if (lr && lr->layer >= Layer::yaml)
      spdlog::info("the modes scale the learning rate x{:g}, but {} {} was given: it is used as is", plan.learning_rate_scale,
                   lr->origin, config::value_text(lr->value));
    else
      s.learning_rate *= plan.learning_rate_scale;
  }
  s.evaluations_per_epoch = std::llround(plan.evaluations_per_epoch);  // make_plan keeps it at least 1
  s.batch_growth = plan.batch_growth;
  s.max_batch_scale = plan.max_batch_scale;
  s.auto_stop = plan.auto_stop;
  s.finish_on_interrupt = plan.finish_on_interrupt;
  s.perplexity = plan.task == TaskType::text_generation;
}

/// ftcore run --tensorboard-only [PORT]: TensorBoard on the logs of --output (or --model).
int serve_logs(const config::Config& config, const std::vector<std::string>& positional) {
  if (positional.size() > 1) throw UsageError("--tensorboard-only takes at most one port, got '" + positional[1] + "' too");
  std::int64_t port = *config.integer("tensorboard-port");
  if (!positional.empty()) {
    try {
      std::size_t used = 0;
      port = std::stoll(positional[0], &used);
      if (used != positional[0].size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      throw UsageError("--tensorboard-only " + positional[0] + ": not a port number");
    }
    if (port < 1 || port > 65535) throw UsageError("--tensorboard-only " + positional[0] + ": a port is 1-65535");
  }
  auto root = config.text("output") ? config.text("output") : config.text("model");
  if (!root) throw UsageError("--tensorboard-only: give --output DIR (or --model DIR) whose logs to serve");
  train::OutputLayout layout{*root};
  if (!fs::is_directory(layout.logs()))
    throw UsageError("--tensorboard-only: no training logs in " + layout.logs().string() + "; train into " + *root + " first");
  auto program = monitor::find_tensorboard();
  if (!program) throw RunError(monitor::tensorboard_install_hint());
  const monitor::Listen listen{*config.text("tensorboard-host"), static_cast<int>(port)};
  std::cout << "TensorBoard: " << listen.url() << " serving " << layout.tensorboard_dir().string() << " (Ctrl-C stops it)"
            << std::endl;
  monitor::serve_tensorboard(*program, layout.tensorboard_dir(), listen);
}

/// --tensorboard: TensorBoard beside the run, when installed.
std::unique_ptr<monitor::TensorBoardProcess> start_tensorboard(const config::Config& config, const train::OutputLayout& layout) {
  if (!config.flag("tensorboard")) return nullptr;
  auto program = monitor::find_tensorboard();
  if (!program) {
    spdlog::warn("--tensorboard: {}; training goes on, and `ftcore run --tensorboard-only --output {}` serves the logs later",
                 monitor::tensorboard_install_hint(), layout.root.string());
    return nullptr;
  }
  const monitor::Listen listen{*config.text("tensorboard-host"), static_cast<int>(*config.integer("tensorboard-port"))};
  fs::create_directories(layout.logs());
  auto process = std::make_unique<monitor::TensorBoardProcess>(*program, layout.tensorboard_dir(), listen,
                                                               layout.tensorboard_log());
  spdlog::info("TensorBoard: {} (pid {}; its output in {})", listen.url(), process->pid(), layout.tensorboard_log().string());
  return process;
}

/// Why the run ended, with the best validation loss.
std::string ending(const train::TrainResult& result) {
  std::string why;
  if (!result.stop_reason.empty()) why = "stopped at step " + std::to_string(result.steps) + ": " + result.stop_reason;
  else if (result.interrupted) why = "interrupted at step " + std::to_string(result.steps) + " (non-stop mode ends so)";
  else why = "finished at step " + std::to_string(result.steps) + " (epoch " + text::format_number("%.2f", result.epoch) + ")";
  if (result.best_val_loss)
    why += "; best validation loss " + text::format_number("%.4f", *result.best_val_loss) + " at step " +
           std::to_string(result.best_step) + (result.restored_best_step ? " (restored)" : "");
  return why;
}

json data_files(const data::Dataset& dataset) {
  json files = json::array();
  for (const auto& f : dataset.files) files.push_back({{"path", fs::absolute(f.file).string()}, {"sha256", sha256_file_hex(f.file)},
                                                       {"format", f.format}, {"records", f.records}});
  return files;
}

/// Refuses to start when another run holds the output directory, or when an earlier run's results
/// are there and neither --resume nor --overwrite says what to do with them (or --overwrite would
/// have to remove files ftcore did not write).
void check_output_dir(const train::OutputLayout& layout, bool resume, bool overwrite, bool locked = false) {
  if (auto holder = locked ? std::nullopt : train::OutputLock::holder(layout))
    throw UsageError(layout.root.string() + " is in use by another run (" + *holder + "): wait for it to end, or give another --output");
  const auto existing = train::existing_outputs(layout);
  if (!existing.empty() && !resume && !overwrite)
    throw UsageError(layout.root.string() + " already holds results of a run (" +
                     existing.front().lexically_relative(layout.root).string() +
                     (existing.size() > 1 ? " and " + std::to_string(existing.size() - 1) + " more" : "") +
                     (train::replacing(layout) ? "; an --overwrite run there did not finish, and the results it was replacing are in " +
                                                     layout.bookkeeping().string() + "/previous"
                                               : "") +
                     "): pass --resume to continue it, --overwrite to replace them, or --output DIR");
  if (overwrite && !resume)
    if (auto foreign = train::foreign_outputs(layout); !foreign.empty())
      throw UsageError("--overwrite replaces only what ftcore wrote, and " + foreign.front().string() +
                       (foreign.size() > 1 ? " and " + std::to_string(foreign.size() - 1) + " more" : "") +
                       " in " + layout.root.string() + " were not written by it: move them elsewhere, or give another --output");
}

std::string resume_hint(const config::Config& config) {
  return "ftcore run --model " + *config.text("model") + " --data " + text::join(config.list("data"), ",") +
         (config.text("output") ? " --output " + *config.text("output") : "") + " --method " + *config.text("method") +
         " --resume";
}

}  // namespace

int run_command(const Args& args) {
  Session session;
  if (!open_session(session, config::kRun, "run", "ftcore run --model DIR --data PATHS [OPTIONS]", args))
    return kExitOk;
  config::Config& config = session.config;
  if (config.flag("tensorboard-only")) return serve_logs(config, session.command_line.positional);
  if (!session.command_line.positional.empty())
    throw UsageError("unexpected argument '" + session.command_line.positional[0] + "'");
  auto model_path = config.text("model");
  // --print-config shows the handler's and method's values too when the model can be read.
  const bool print_only = config.flag("print-config");
  if (!model_path || (print_only && !fs::exists(fs::path(*model_path) / "config.json"))) {
    if (!print_only) throw UsageError("no model given: pass --model DIR (a Hugging Face model directory)");
    std::cout << config.to_yaml(config::kRun);
    return kExitOk;
  }
  const fs::path model_dir = *model_path;
  json model_config = model::read_config(model_dir);
  const ModelHandler& handler = model::choose_handler(session.registry, model_config, config.text("handler"));
  FamilyFacts facts;
  try {
    facts = handler.facts(model_config);
  } catch (const std::invalid_argument& e) {
    throw UsageError((model_dir / "config.json").string() + ": " + e.what());
  }
  const TrainingMethod& method = choose_method(session);
  train::Modes modes = train::choose_modes(session.registry, config);
  apply_layers(config, handler, facts, method);
  const dist::World world = dist::read_world();
  const int ranks = planned_ranks(config, world);
  resolve_effective_batch(config, ranks);
  if (print_only) {
    std::cout << config.to_yaml(config::kRun);
    return kExitOk;
  }

  // The training options are checked before anything is read or written.
  const torch::ScalarType dtype = model::parse_precision(*config.text("precision"));
  train::TrainerSettings settings = trainer_settings(config, dtype);
  const torch::Device device = training_device(config, world.local_rank);
  if (ranks > 1 && !world.distributed()) training_device(config, ranks - 1);  // --nproc: the last worker's GPU too
  if (!world.writes()) settings.progress_bar = false;

  // Where results go, and what is already there (checked again under the lock before writing).
  train::OutputLayout layout{config.text("output") ? fs::path(*config.text("output")) : model_dir};
  const bool resume = config.flag("resume") || config.has("resume-from");
  if (world.writes()) check_output_dir(layout, resume, config.flag("overwrite"));
  std::optional<fs::path> resume_from;
  if (auto from = config.text("resume-from")) resume_from = fs::path(*from);
  else if (resume) resume_from = train::latest_checkpoint(layout);
  if (resume && !resume_from)
    throw UsageError("--resume: no checkpoint in " + layout.checkpoints().string() + "; start without --resume");
  if (resume_from && !fs::exists(*resume_from / "trainer_state.json"))
    throw UsageError("--resume-from '" + resume_from->string() + "': not a checkpoint (no trainer_state.json)");

  // --nproc: the workers do the rest; under a launcher, this rank joins the others.
  if (auto code = launch_workers(config, "run", args, world)) return *code;
  std::unique_ptr<dist::Group> group = join_run(config, world, device);

  // Data.
  data::InputSelection selection{config.list("data"), config.text("data-subset").value_or(""),
                                 config.text("data-split").value_or("")};
  data::ResolvedInputs inputs = data::resolve_inputs(selection);
  data::Dataset dataset =
      data::load_dataset(inputs.files, session.registry, {config.text("format"), config.integer("max-examples")});
  for (const auto& record : dataset.invalid) spdlog::warn("{}", record.str());
  spdlog::info("data: {} samples from {} file(s); {} invalid record(s) skipped, {} left out by --max-examples",
               dataset.samples.size(), dataset.files.size(), dataset.invalid.size(), dataset.unused);
  if (!dataset.invalid.empty() && !config.flag("skip-invalid"))
    throw UsageError("the data has invalid records (listed above); fix them or pass --skip-invalid");
  if (dataset.samples.empty()) throw UsageError("no usable training records in --data");
  const TaskType task = train::detect_task(dataset.samples, *config.text("task-type"));
  const TrainingPlan plan = train::make_plan(modes, config, task);
  apply_plan(settings, plan, config);
  spdlog::info("modes: {} ({} task{})", text::join(modes.names, ", "), task_type_name(task),
               config.text("task-type") == std::string("auto") ? ", from the data" : "");
  for (const auto* policy : modes.pointers()) spdlog::info("  {}", policy->summary());

  // Model and method.
  model::Model model = model::load_model(model_dir, session.registry,
                                         {config.text("handler"), dtype, config.text("chat-template").value_or(""), true});
  resolve_auto_rank(config, *model.network);
  std::unique_ptr<MethodRun> run = apply_method(method, *model.network, config, facts);
  place_network(*model.network, device);
  std::int64_t trainable = 0, total = 0;
  for (const auto& p : model.network->parameters()) (p.requires_grad() ? trainable : total) += p.numel();
  total += trainable;
  spdlog::info("method: {}", run->summary());
  spdlog::info("trainable parameters: {} of {} ({:.3f}%)", trainable, total, 100.0 * static_cast<double>(trainable) / total);

  // Examples.
  train::ExampleOptions example_options;
  example_options.max_length = *config.integer("max-length");
  example_options.train_on_inputs = config.flag("train-on-inputs");
  example_options.reasoning = train::parse_reasoning(*config.text("reasoning"));
  auto eos = token_id(model, "eos_token");
  train::ExampleSet examples = train::ExampleBuilder(*model.tokenizer, model.chat.get(), eos, example_options).build_all(dataset.samples);
  for (const auto& bad : examples.invalid) spdlog::warn("{}", bad.message);
  if (!examples.invalid.empty() && !config.flag("skip-invalid"))
    throw UsageError(std::to_string(examples.invalid.size()) + " record(s) cannot be turned into tokens (listed above); fix "
                     "them or pass --skip-invalid");
  if (examples.truncated)
    spdlog::warn("{} of {} samples were longer than --max-length {} and were truncated", examples.truncated,
                 dataset.samples.size(), example_options.max_length);
  for (std::size_t i = 0; i < examples.untrained.size() && i < 5; ++i)
    spdlog::warn("{}: nothing left to train in this sample (skipped)", dataset.samples[examples.untrained[i]].source.str());
  if (examples.untrained.size() > 5) spdlog::warn("... {} samples in all have nothing to train", examples.untrained.size());
  if (examples.examples.empty())
    throw UsageError("none of the " + std::to_string(dataset.samples.size()) + " samples has a token to train: " +
                     (examples.truncated ? "truncation at --max-length " + std::to_string(example_options.max_length) +
                                               " cut off every trained part; raise --max-length"
                                         : "no sample marks an assistant turn, completion or text to train") +
                     (config.flag("train-on-inputs") ? "" : " (or pass --train-on-inputs)"));
  spdlog::info("examples: {} ({} tokens, {} trained)", examples.examples.size(), examples.tokens, examples.trained_tokens);
  auto [train_examples, validation] = split(std::move(examples.examples), *config.number("validation-split"),
                                            static_cast<std::uint64_t>(*config.integer("seed")));
  spdlog::info("split: {} for training, {} for validation", train_examples.size(), validation.size());

  // Nothing is written before this point, when nothing above has failed; rank 0 alone writes, under
  // the output directory's lock. An earlier run's results stay until this run's are complete.
  std::unique_ptr<train::OutputLock> lock;
  const bool replaces = !resume && config.flag("overwrite");
  if (world.writes()) {
    lock = std::make_unique<train::OutputLock>(layout, "ftcore run " + text::join(args, " "));
    train::clear_crash_leftovers(layout);
    check_output_dir(layout, resume, config.flag("overwrite"), /*locked=*/true);
    if (replaces) train::set_aside_previous_run(layout);
    for (const auto& entry : train::run_state_entries())
      if (entry != "logs/tensorboard.log" || config.flag("tensorboard")) train::record_output(layout, entry);
    std::ofstream(layout.resolved_config()) << config.to_yaml(config::kRun);
  }
  if (group) group->barrier();

  SaveInfo save_info{fs::absolute(model_dir).lexically_normal(), model.config};
  const std::int32_t pad = token_id(model, "pad_token").value_or(eos.value_or(0));
  std::unique_ptr<monitor::TensorBoardProcess> tensorboard;
  train::TrainResult result;
  try {
    tensorboard = world.writes() ? start_tensorboard(config, layout) : nullptr;
    train::Trainer trainer(*model.network, *run, train_examples, validation, pad, settings, layout, save_info,
                           modes.pointers(), group.get());
    std::string paging;
    if (settings.optimizer == "paged_adamw_8bit")
      paging = device.is_cuda() ? " (ftcore does not page optimizer states yet: the same as adamw_8bit)"
                                : " (no GPU: nothing to page, the same as adamw_8bit)";
    spdlog::info("training: {} with {}{}",
                 trainer.total_steps() > 0 ? std::to_string(trainer.total_steps()) + " optimizer steps"
                                           : std::string("no step limit (Ctrl-C ends the run)"),
                 settings.optimizer, paging);
    if (tensorboard && tensorboard->exited())
      spdlog::warn("TensorBoard exited at once (status {}): see {}", *tensorboard->exited(),
                   layout.tensorboard_log().string());
    result = trainer.run(resume_from);
  } catch (...) {
    if (world.writes() && replaces) train::restore_previous_run(layout);  // the earlier run's state back in place
    throw;
  }
  if (!world.writes()) return kExitOk;  // rank 0 writes the outputs
  if (result.interrupted && !settings.finish_on_interrupt) {
    std::cout << "interrupted at step " << result.steps << " of " << result.total_steps << "; saved "
              << layout.last().string() << "\ncontinue with: " << resume_hint(config) << "\n";
    return kExitOk;
  }

  // The artefact, with what produced it.
  const fs::path artefact = layout.artefact(run->artefact());
  json info{{"ftcore_version", FTCORE_VERSION},
            {"base_model", save_info.base_model.string()},
            {"method", method.name()},
            {"summary", run->summary()},
            {"data", data_files(dataset)},
            {"config", config.to_yaml(config::kRun)},
            {"steps", result.steps},
            {"final_train_loss", result.train_loss ? json(*result.train_loss) : json(nullptr)},
            {"final_val_loss", result.val_loss ? json(*result.val_loss) : json(nullptr)},
            {"best_val_loss", result.best_val_loss ? json(*result.best_val_loss) : json(nullptr)},
            {"best_step", result.best_step},
            {"restored_best_step", result.restored_best_step ? json(*result.restored_best_step) : json(nullptr)},
            {"modes", modes.names},
            {"task_type", task_type_name(task)},
            {"ending", ending(result)},
            {"seconds", result.seconds},
            {"trained_tokens_per_second", result.seconds > 0 ? static_cast<double>(result.tokens) / result.seconds : 0.0}};
  train::write_atomically(artefact, [&](const fs::path& staging) {
    run->save(staging, save_info);
    std::ofstream(staging / (run->artefact() == "lora" ? "adapter_info.json" : "training_info.json")) << info.dump(2) << "\n";
  });
  train::record_output(layout, run->artefact());
  std::vector<std::string> written{run->artefact()};
  if (config.flag("merge")) {
    run->merge();
    train::write_atomically(layout.merged(), [&](const fs::path& staging) { nn::save_model_dir(*model.network, model_dir, staging); });
    train::record_output(layout, "merged");
    written.push_back("merged");
    spdlog::info("merged model: {}", layout.merged().string());
  }
  if (train::replacing(layout)) train::finish_replacing(layout, written);  // the earlier run's results go only now
  std::cout << ending(result) << "\n";
  if (tensorboard) std::cout << "TensorBoard stopped; serve the logs again with: ftcore run --tensorboard-only --output "
                             << layout.root.string() << "\n";
  std::cout << "trained " << result.steps << " steps in " << static_cast<std::int64_t>(result.seconds) << " s"
            << (result.train_loss ? " | train loss " + std::to_string(*result.train_loss) : "")
            << (result.best_val_loss ? " | best val loss " + std::to_string(*result.best_val_loss) : "") << " | "
            << artefact.string() << "\n";
  return kExitOk;
}

}  // namespace ftcore::cli
