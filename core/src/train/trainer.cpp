#include "train/trainer.hpp"

#include <chrono>
#include <csignal>
#include <cmath>
#include <fstream>
#include <set>

#include <spdlog/spdlog.h>

#include "device/device.hpp"
#include "dist/reducer.hpp"
#include "errors.hpp"
#include "ftcore/version.hpp"
#include "log.hpp"
#include "model/model_config.hpp"
#include "monitor/plot.hpp"
#include "monitor/progress.hpp"
#include "monitor/tensorboard.hpp"
#include "train/gradients.hpp"
#include "train/loss.hpp"
#include "train/optimizer.hpp"
#include "util/text.hpp"
#include "weights/safetensors.hpp"

namespace ftcore::train {

namespace fs = std::filesystem;
using nlohmann::json;

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

namespace {

// ---- signals -------------------------------------------------------------------------------

extern "C" void on_stop_signal(int signal) {
  if (stop_requested().exchange(true)) {  // a second signal: stop now
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}

/// SIGINT and SIGTERM ask the loop to save and stop while it runs.
class SignalGuard {
 public:
  SignalGuard() {
    stop_requested() = false;
    previous_int_ = std::signal(SIGINT, on_stop_signal);
    previous_term_ = std::signal(SIGTERM, on_stop_signal);
  }
  ~SignalGuard() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

// ---- small helpers -------------------------------------------------------------------------

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

/// Seconds between calls of lap().
class Stopwatch {
 public:
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return seconds;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

/// The default generator of the CPU, or of a GPU.
at::Generator default_generator(const torch::Device& device) {
  return device.is_cuda() ? at::globalContext().defaultGenerator(device) : at::detail::getDefaultCPUGenerator();
}

torch::Tensor rng_state(const torch::Device& device) {
  auto generator = default_generator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_rng_state(const torch::Device& device, const torch::Tensor& state) {
  auto generator = default_generator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

/// rng.safetensors: the CPU generator's state, and the training GPU's under "cuda" (its dropout
/// masks are drawn there).
std::vector<std::pair<std::string, torch::Tensor>> rng_states(const torch::Device& device) {
  std::vector<std::pair<std::string, torch::Tensor>> out{{"cpu", rng_state(torch::kCPU)}};
  if (device.is_cuda()) out.emplace_back("cuda", rng_state(device));
  return out;
}

/// Parameters that decay: not biases and not norm weights (transformers' get_decay_parameter_names).
std::set<const void*> no_decay_parameters(nn::CausalLM& network) {
  std::set<const void*> out;
  for (const auto& item : network.named_modules()) {
    const bool norm = dynamic_cast<nn::Norm*>(item.value().get()) != nullptr;
    for (const auto& p : item.value()->named_parameters(/*recurse=*/false))
      if (norm || p.key() == "bias") out.insert(p.value().unsafeGetTensorImpl());
  }
  return out;
}

/// The trainer's own check of its settings (the command line bounds them too): a step count of 0
/// would divide by zero.
void check_settings(const TrainerSettings& s) {
  auto at_least_one = [](const char* name, std::int64_t value) {
    if (value < 1) throw UsageError(std::string("--") + name + " " + std::to_string(value) + ": must be at least 1");
  };
  at_least_one("batch-size", s.batch_size);
  at_least_one("grad-accum", s.grad_accum);
  at_least_one("max-length", s.max_length);
  at_least_one("logging-steps", s.logging_steps);
  if (s.save_total_limit < 0)
    throw UsageError("--save-total-limit " + std::to_string(s.save_total_limit) + ": must be at least 1");
  if (s.eval_steps) at_least_one("eval-steps", *s.eval_steps);
  if (s.save_steps) at_least_one("save-steps", *s.save_steps);
  if (s.max_steps) at_least_one("max-steps", *s.max_steps);
}

json to_json(const Evaluation& e) {
  auto optional = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  return {{"index", e.index},       {"step", e.step},         {"epoch", e.epoch},
          {"train_loss", e.train_loss}, {"val_loss", optional(e.val_loss)}, {"best_val_loss", optional(e.best_val_loss)},
          {"since_best", e.evaluations_since_best}};
}

Evaluation evaluation_from_json(const json& j) {
  Evaluation e;
  e.index = j.at("index");
  e.step = j.at("step");
  e.epoch = j.at("epoch");
  e.train_loss = j.at("train_loss").is_number() ? j.at("train_loss").get<double>() : std::nan("");
  if (j.at("val_loss").is_number()) e.val_loss = j.at("val_loss").get<double>();
  if (j.at("best_val_loss").is_number()) e.best_val_loss = j.at("best_val_loss").get<double>();
  e.evaluations_since_best = j.at("since_best");
  return e;
}

}  // namespace

// ---- state -----------------------------------------------------------------------------------

struct Trainer::State {
  nn::CausalLM& network;
  MethodRun& method;
  const std::vector<Example>& train;
  const std::vector<Example>& validation;
  std::int32_t pad_id;
  torch::Device device;  ///< where the network is (the batches go there)
  TrainerSettings settings;
  OutputLayout layout;
  SaveInfo save_info;
  std::vector<StopPolicy*> policies;
  dist::Group* group;  ///< nullptr: a single process
  std::unique_ptr<dist::GradientReducer> reducer;
  bool stop_agreed = false;  ///< with a group: whether a rank was asked to stop, as all ranks learnt it this step

  std::vector<std::pair<std::string, torch::Tensor>> trainable;
  std::unique_ptr<Optimizer> optimizer;
  std::unique_ptr<LossScaler> scaler;
  Schedule schedule;

  // Progress: optimizer steps done, and where the next micro-batch is.
  std::int64_t step = 0, epoch = 0, batch_index = 0;
  std::int64_t planned_epoch = -1;
  std::vector<MicroBatch> plan;
  json history = json::array();  ///< every logged entry, for the plot and for resuming
  std::optional<double> best_val;
  std::int64_t best_step = 0;
  std::int64_t tokens = 0;
  // The logging window (steps since the last log line): saved in checkpoints, so that a resumed run
  // logs the same means as an uninterrupted one.
  double window_loss = 0;
  std::int64_t window_targets = 0;
  // Since the last evaluation (the train loss handed to the modes), and what the modes changed.
  double eval_window_loss = 0;
  std::int64_t eval_window_targets = 0;
  json evaluations = json::array();  ///< every Evaluation, shown to the modes again on resume
  std::int64_t since_best = 0;
  double lr_scale = 1.0, accum_scale = 1.0;

  std::unique_ptr<monitor::EventWriter> events;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  State(nn::CausalLM& n, MethodRun& m, const std::vector<Example>& t, const std::vector<Example>& v, std::int32_t pad,
        TrainerSettings s, OutputLayout l, SaveInfo info, std::vector<StopPolicy*> p, dist::Group* g)
      : network(n), method(m), train(t), validation(v), pad_id(pad), device(n.lm_head_weight().device()), settings(s), layout(std::move(l)), save_info(std::move(info)),
        policies(std::move(p)), group(g) {}

  int rank() const { return group ? group->world().rank : 0; }
  int ranks() const { return group ? group->world().size : 1; }
  bool writes() const { return rank() == 0; }  ///< rank 0 alone writes logs, checkpoints and plots

  /// Steps of the run (the schedule's total); none: until interrupted.
  std::optional<std::int64_t> limit() const {
    return schedule.total_steps > 0 ? std::optional<std::int64_t>(schedule.total_steps) : std::nullopt;
  }

  Batching batching(bool shuffle) const {
    return {settings.batch_size, settings.max_length, settings.packing, shuffle, settings.seed};
  }

  const std::vector<MicroBatch>& plan_for(std::int64_t e) {
    if (planned_epoch != e) {
      plan = plan_epoch(train, batching(true), e);
      planned_epoch = e;
    }
    return plan;
  }

  /// Micro-batches per optimizer step in epoch `e`, over all ranks: --grad-accum (grown by the modes)
  /// on each rank.
  std::int64_t accumulation(std::int64_t e) const {
    const double growth = std::min(std::pow(settings.batch_growth, static_cast<double>(e)), std::max(1.0, settings.max_batch_scale));
    const auto per_rank =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(static_cast<double>(settings.grad_accum) * accum_scale * growth + 1e-9)));
    return per_rank * ranks();
  }

  std::int64_t micro_batches(std::int64_t e) { return static_cast<std::int64_t>(plan_for(e).size()); }

  /// Steps of the whole run when it stands at micro-batch `from` of epoch `e0` after `done` steps;
  /// nullopt without a limit.
  std::optional<std::int64_t> total_steps(std::int64_t e0, std::int64_t from, std::int64_t done) {
    if (settings.max_steps) return *settings.max_steps;
    if (!(settings.epochs > 0)) return std::nullopt;
    const auto whole = static_cast<std::int64_t>(std::floor(settings.epochs));
    const double fraction = settings.epochs - static_cast<double>(whole);
    std::int64_t total = done;
    for (std::int64_t e = e0; e < whole; ++e) total += ceil_div(micro_batches(e) - (e == e0 ? from : 0), accumulation(e));
    if (fraction > 0 && e0 <= whole) {
      const auto steps = static_cast<std::int64_t>(std::ceil(fraction * static_cast<double>(ceil_div(micro_batches(whole), accumulation(whole)))));
      total += std::max<std::int64_t>(0, steps - (e0 == whole ? ceil_div(from, accumulation(whole)) : 0));
    }
    planned_epoch = -1;
    return std::max<std::int64_t>(total, 1);
  }

  /// Whether the step over micro-batches [start, end) of an epoch of `size` ends at an evaluation.
  bool evaluation_due(std::int64_t start, std::int64_t end, std::int64_t size) const {
    if (settings.eval_steps) return step % *settings.eval_steps == 0;
    const std::int64_t n = std::max<std::int64_t>(1, settings.evaluations_per_epoch);
    for (std::int64_t j = 1; j <= n; ++j) {
      const std::int64_t boundary = ceil_div(j * size, n);
      if (start < boundary && boundary <= end) return true;
    }
    return false;
  }

  std::vector<torch::Tensor> parameters() const {
    std::vector<torch::Tensor> out;
    for (const auto& [name, tensor] : trainable) out.push_back(tensor);
    return out;
  }

  void make_optimizer() {
    auto no_decay = no_decay_parameters(network);
    ParamGroup decay{{}, settings.weight_decay}, plain{{}, 0.0};
    for (const auto& [name, tensor] : trainable)
      (no_decay.count(tensor.unsafeGetTensorImpl()) ? plain : decay).params.push_back(tensor);
    std::vector<ParamGroup> groups;
    for (auto* g : {&decay, &plain})
      if (!g->params.empty()) groups.push_back(*g);
    AdamWOptions options;
    options.lr = settings.learning_rate;
    options.beta1 = settings.adam_beta1;
    options.beta2 = settings.adam_beta2;
    options.eps = settings.adam_epsilon;
    optimizer = train::make_optimizer(settings.optimizer, std::move(groups), options);
  }

  double current_epoch() {
    const auto size = static_cast<double>(plan_for(epoch).size());
    return static_cast<double>(epoch) + (size > 0 ? static_cast<double>(batch_index) / size : 0.0);
  }

  // ---- logging -------------------------------------------------------------------------------

  void record(const json& entry) {
    history.push_back(entry);
    if (!writes()) return;
    std::ofstream(layout.metrics(), std::ios::app) << entry.dump() << "\n";
    if (!events) return;
    for (const auto& [key, value] : entry.items()) {
      if (key == "step" || key == "epoch" || !value.is_number()) continue;
      events->add_scalar(key, entry["step"].get<std::int64_t>(), value.get<double>());
    }
    events->flush();
  }

  void plot() {
    if (!writes()) return;
    monitor::Series train_loss{"train loss", {}, 0x1F77B4}, val_loss{"validation loss", {}, 0xFF7F0E},
        lr{"learning rate", {}, 0x7F7F7F, true};
    for (const auto& entry : history) {
      const double step_value = entry["step"].get<double>();
      if (entry.contains("train/loss")) train_loss.points.emplace_back(step_value, entry["train/loss"].get<double>());
      if (entry.contains("train/learning_rate")) lr.points.emplace_back(step_value, entry["train/learning_rate"].get<double>());
      if (entry.contains("eval/loss")) val_loss.points.emplace_back(step_value, entry["eval/loss"].get<double>());
    }
    try {
      monitor::write_line_plot(layout.history_plot(), {train_loss, val_loss, lr});
    } catch (const std::exception& e) {
      spdlog::warn("training_history.png not written: {}", e.what());
    }
  }

  /// Drops metrics of steps after the checkpoint a resumed run starts from.
  void rewrite_metrics() {
    if (!writes()) return;
    std::ofstream out(layout.metrics(), std::ios::trunc);
    for (const auto& entry : history) out << entry.dump() << "\n";
  }

  // ---- checkpoints ---------------------------------------------------------------------------

  json trainer_state() const {
    return json{{"step", step},
                {"epoch", epoch},
                {"batch_index", batch_index},
                {"tokens", tokens},
                {"best_val_loss", best_val ? json(*best_val) : json(nullptr)},
                {"best_step", best_step},
                {"window", {{"loss", window_loss}, {"targets", window_targets}}},
                {"eval_window", {{"loss", eval_window_loss}, {"targets", eval_window_targets}}},
                {"evaluations", evaluations},
                {"lr_scale", lr_scale},
                {"accum_scale", accum_scale},
                {"total_steps", schedule.total_steps},
                {"micro_batches_per_step", accumulation(epoch)},
                {"ranks", ranks()},
                {"history", history},
                {"optimizer", optimizer->state_json()},
                {"loss_scaler", scaler->state()},
                {"ftcore_version", FTCORE_VERSION}};
  }

  /// Rank 0 writes the checkpoint; the other ranks wait until it is there.
  void save_checkpoint() {
    if (!writes()) {
      group->barrier();
      return;
    }
    const fs::path dir = layout.checkpoint(step);
    write_atomically(dir, [&](const fs::path& staging) {
      weights::save_file(staging / "trainable.safetensors", trainable);
      weights::save_file(staging / "optimizer.safetensors", optimizer->state_tensors());
      weights::save_file(staging / "rng.safetensors", rng_states(device));
      std::ofstream(staging / "trainer_state.json") << trainer_state().dump(1) << "\n";
      if (method.artefact_in_checkpoints()) method.save(staging / method.artefact(), save_info);
      method.save_training_state(staging);
    });
    crash_point("checkpoint-written");
    publish_alias(dir, layout.last());
    if (best_step == step) publish_alias(dir, layout.best());
    crash_point("aliases-published");
    remove_old_checkpoints(layout.checkpoints(), settings.save_total_limit);
    spdlog::info("checkpoint: {}", dir.string());
    if (group) group->barrier();
  }

  /// The trainable tensors of a checkpoint folder, into the network.
  void load_trainable(const fs::path& dir) {
    auto saved = weights::SafetensorsFile::open(dir / "trainable.safetensors");
    torch::NoGradGuard no_grad;
    std::vector<std::string> problems;
    for (auto& [name, tensor] : trainable) {
      const auto* info = saved->find(name);
      if (!info) problems.push_back(name + " is missing");
      else if (c10::IntArrayRef(info->shape) != tensor.sizes()) problems.push_back(name + " has another shape");
      else tensor.copy_(saved->tensor(name));
    }
    if (saved->tensors().size() != trainable.size())
      problems.push_back(std::to_string(saved->tensors().size()) + " tensors saved, " + std::to_string(trainable.size()) +
                         " train now");
    if (!problems.empty())
      throw UsageError(dir.string() + ": the checkpoint does not fit this run (" + problems.front() +
                       (problems.size() > 1 ? ", and " + std::to_string(problems.size() - 1) + " more" : "") +
                       "): resume with the method, targets and rank it was written with");
  }

  void load_checkpoint(const fs::path& dir) {
    json state = model::read_json_file(dir / "trainer_state.json");
    load_trainable(dir);
    auto optimizer_file = weights::SafetensorsFile::open(dir / "optimizer.safetensors");
    std::map<std::string, torch::Tensor> optimizer_state;
    for (const auto& info : optimizer_file->tensors()) optimizer_state.emplace(info.name, optimizer_file->tensor(info.name).clone());
    optimizer->load_state(optimizer_state, state["optimizer"]);
    method.load_training_state(dir);
    scaler->load_state(state["loss_scaler"]);
    auto rng = weights::SafetensorsFile::open(dir / "rng.safetensors");
    set_rng_state(torch::kCPU, rng->tensor("cpu").clone());
    // A checkpoint written on another device kind has no state for this one's generator: it keeps its seed.
    if (device.is_cuda() && rng->find("cuda")) set_rng_state(device, rng->tensor("cuda").clone());
    step = state["step"];
    epoch = state["epoch"];
    batch_index = state["batch_index"];
    tokens = state.value("tokens", std::int64_t{0});
    if (state["best_val_loss"].is_number()) best_val = state["best_val_loss"].get<double>();
    best_step = state["best_step"];
    window_loss = state["window"]["loss"];
    window_targets = state["window"]["targets"];
    history = state["history"];
    if (state.contains("evaluations")) {
      eval_window_loss = state["eval_window"]["loss"];
      eval_window_targets = state["eval_window"]["targets"];
      evaluations = state["evaluations"];
      if (!evaluations.empty()) since_best = evaluations.back()["since_best"];
      lr_scale = state["lr_scale"];
      accum_scale = state["accum_scale"];
      schedule.total_steps = state["total_steps"];
    }
    if (settings.max_steps && *settings.max_steps != schedule.total_steps) {
      spdlog::info("--max-steps {}: the resumed run ends there (the checkpoint's run planned {} steps; the learning-rate "
                   "schedule follows the new total)",
                   *settings.max_steps, schedule.total_steps);
      schedule.total_steps = *settings.max_steps;
    }
    if (state.contains("micro_batches_per_step") && state["micro_batches_per_step"] != accumulation(epoch))
      spdlog::warn("{} was written taking {} micro-batches per step ({} rank(s)); this run takes {} ({} rank(s) x "
                   "--grad-accum): the steps differ from the run that wrote it (keep --effective-batch-size the same "
                   "to resume on another number of ranks exactly)",
                   dir.string(), state["micro_batches_per_step"].dump(), state.value("ranks", 1), accumulation(epoch), ranks());
    // The modes see the evaluations again, so that their state is what it was.
    for (const auto& entry : evaluations)
      for (auto* policy : policies) policy->on_evaluation(evaluation_from_json(entry));
  }

  /// The best checkpoint's weights, when best/ still holds the step this run counts as best.
  bool restore_best() {
    const fs::path dir = layout.best();
    if (!fs::exists(dir / "trainer_state.json")) return false;
    if (model::read_json_file(dir / "trainer_state.json")["step"] != best_step) {
      spdlog::warn("{} is not the checkpoint of step {} (the best of this run): the weights of the last step are kept",
                   dir.string(), best_step);
      return false;
    }
    load_trainable(dir);
    method.load_training_state(dir);
    return true;
  }

  // ---- one step ------------------------------------------------------------------------------

  /// Forward and backward over this rank's share of one step's micro-batches (every ranks()-th from
  /// its rank on), the gradients then summed over the ranks; timed into `times`. Returns the step's
  /// summed loss and trained targets over all ranks. The loss is normalised by the targets of the
  /// whole step, so that the summed gradients are those of one process taking every micro-batch.
  std::pair<double, std::int64_t> accumulate(const std::vector<MicroBatch>& step_batches, StepTimes& times) {
    std::int64_t targets = 0;
    for (const auto& micro : step_batches) targets += count_targets(train, micro);
    double loss = 0;
    std::int64_t step_tokens = 0;
    Stopwatch watch;
    for (std::size_t i = static_cast<std::size_t>(rank()); i < step_batches.size(); i += static_cast<std::size_t>(ranks())) {
      Batch batch = collate(train, step_batches[i], pad_id);
      times.data += watch.lap();
      auto sum = loss_sum(network, batch);
      loss += sum.item<double>();
      times.forward += watch.lap();
      if (reducer && i + static_cast<std::size_t>(ranks()) >= step_batches.size()) reducer->arm();  // this rank's last
      (sum * (scaler->scale() / static_cast<double>(std::max<std::int64_t>(targets, 1)))).backward();
      device::synchronize(device);  // a GPU runs backward asynchronously: its time is backward's
      times.backward += watch.lap();
      step_tokens += batch.tokens;
    }
    times.tokens = step_tokens;
    if (group) {
      reducer->finish();  // waiting for the other ranks' gradients counts as backward
      // The step's loss and tokens over the ranks, and whether any rank was asked to stop (all stop together).
      const auto summed = group->sum({loss, static_cast<double>(step_tokens), stop_requested().load() ? 1.0 : 0.0});
      loss = summed[0];
      step_tokens = static_cast<std::int64_t>(std::llround(summed[1]));
      stop_agreed = summed[2] > 0;
      times.backward += watch.lap();
    }
    tokens += step_tokens;
    return {loss, targets};
  }

  // ---- evaluations and the modes ------------------------------------------------------------

  double seconds_since_start() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }

  /// The loss (mean cross-entropy per trained token) of the validation examples.
  double evaluate() {
    torch::NoGradGuard no_grad;
    network.eval();
    double loss = 0, targets = 0;
    const auto plan = plan_epoch(validation, batching(false), 0);
    for (std::size_t i = static_cast<std::size_t>(rank()); i < plan.size(); i += static_cast<std::size_t>(ranks())) {
      Batch batch = collate(validation, plan[i], pad_id);
      loss += loss_sum(network, batch).item<double>();
      targets += static_cast<double>(batch.targets);
    }
    network.train();
    if (group) {
      const auto summed = group->sum({loss, targets});
      loss = summed[0], targets = summed[1];
    }
    return targets > 0 ? loss / targets : std::nan("");
  }

  /// Evaluates, prints the status line, asks the modes; returns (new best, why to stop or "").
  std::pair<bool, std::string> evaluation_point() {
    Evaluation e;
    e.index = static_cast<std::int64_t>(evaluations.size()) + 1;
    e.step = step;
    e.epoch = current_epoch();
    e.train_loss = eval_window_loss / static_cast<double>(std::max<std::int64_t>(eval_window_targets, 1));
    eval_window_loss = 0, eval_window_targets = 0;
    bool new_best = false;
    if (!validation.empty()) {
      const double val = evaluate();
      new_best = std::isfinite(val) && (!best_val || val < *best_val);
      if (new_best) best_val = val, best_step = step, since_best = 0;
      else ++since_best;
      e.val_loss = val;
      e.best_val_loss = best_val;
      e.evaluations_since_best = since_best;
      record({{"step", step}, {"epoch", e.epoch}, {"eval/loss", val}, {"eval/perplexity", std::exp(val)}});
    }
    evaluations.push_back(to_json(e));
    monitor::EvaluationStatus status{e.index, seconds_since_start(), e.train_loss, e.val_loss, e.best_val_loss, since_best,
                                     settings.perplexity};
    log_event("evaluation", evaluations.back(), monitor::evaluation_status(status));

    std::string stop;
    for (std::size_t i = 0; i < policies.size(); ++i) {
      const StopDecision decision = policies[i]->on_evaluation(e);
      const std::string who = policies[i]->name();
      if (decision.action == StopDecision::Action::adjust) apply_adjustment(who, decision);
      if (decision.action != StopDecision::Action::stop) continue;
      if (!settings.auto_stop)
        log_event("stop_ignored", {{"mode", who}, {"reason", decision.reason}},
                  who + " would stop here (" + decision.reason + "), but auto-stop is off: going on");
      else if (stop.empty())
        stop = who + ": " + decision.reason;
    }
    plot();
    return {new_best, stop};
  }

  void apply_adjustment(const std::string& who, const StopDecision& decision) {
    const auto before = accumulation(epoch);
    lr_scale *= decision.learning_rate_scale;
    accum_scale *= decision.batch_scale;
    std::string change = who + ": " + decision.reason;
    if (accumulation(epoch) != before && !settings.max_steps && limit()) {
      schedule.total_steps = *total_steps(epoch, batch_index, step);
      change += "; the run now has " + std::to_string(schedule.total_steps) + " steps";
    }
    log_event("adjust", {{"mode", who}, {"reason", decision.reason}, {"lr_scale", lr_scale}, {"accumulation", accumulation(epoch)}},
              change);
  }
};

// ---- Trainer ---------------------------------------------------------------------------------

Trainer::Trainer(nn::CausalLM& network, MethodRun& method, const std::vector<Example>& train,
                 const std::vector<Example>& validation, std::int32_t pad_id, TrainerSettings settings, OutputLayout layout,
                 SaveInfo save_info, std::vector<StopPolicy*> policies, dist::Group* group)
    : state_(std::make_unique<State>(network, method, train, validation, pad_id, settings, std::move(layout),
                                     std::move(save_info), std::move(policies), group)) {
  auto& s = *state_;
  check_settings(settings);
  if (s.train.empty()) throw UsageError("no training examples");
  for (const auto& item : network.named_parameters())
    if (item.value().requires_grad()) s.trainable.emplace_back(item.key(), item.value());
  if (s.trainable.empty()) throw RunError("the method left nothing to train");
  if (group) s.reducer = std::make_unique<dist::GradientReducer>(*group, s.parameters());
  s.make_optimizer();
  s.scaler = std::make_unique<LossScaler>(settings.fp16);
  if (const auto total = s.total_steps(0, 0, 0)) {
    s.schedule = Schedule{settings.schedule, warmup_steps(settings.warmup_steps, settings.warmup_ratio, *total), *total,
                          settings.learning_rate};
  } else {
    // No total to decay over: the peak learning rate after the warm-up steps (a ratio has no total either).
    if (settings.schedule != ScheduleKind::constant)
      spdlog::info("no step limit: the learning rate stays at its peak after warm-up (--lr-scheduler {} needs a total)",
                   schedule_name(settings.schedule));
    if (settings.warmup_ratio && !settings.warmup_steps)
      spdlog::info("no step limit: --warmup-ratio has nothing to be a fraction of; give --warmup-steps for a warm-up");
    s.schedule = Schedule{ScheduleKind::constant, warmup_steps(settings.warmup_steps, std::nullopt, 0), 0, settings.learning_rate};
  }
  try {
    method.begin_training(s.schedule.total_steps);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

Trainer::~Trainer() = default;

std::int64_t Trainer::total_steps() const { return state_->schedule.total_steps; }

double Trainer::evaluate() { return state_->evaluate(); }

TrainResult Trainer::run(const std::optional<fs::path>& resume_from) {
  auto& s = *state_;
  const auto& settings = s.settings;
  if (s.writes()) fs::create_directories(s.layout.logs());
  if (resume_from) {
    s.load_checkpoint(*resume_from);
    s.rewrite_metrics();
    spdlog::info("resuming from {} at step {} (epoch {}, micro-batch {})", resume_from->string(), s.step, s.epoch, s.batch_index);
  } else {
    torch::manual_seed(settings.seed);
    if (s.writes()) std::ofstream(s.layout.metrics(), std::ios::trunc);
  }
  if (s.group) {  // every rank starts from rank 0's weights, as DistributedDataParallel does
    torch::NoGradGuard no_grad;
    for (auto& [name, tensor] : s.trainable) s.group->broadcast(tensor.detach(), 0);
  }
  if (settings.tensorboard_events && s.writes()) s.events = std::make_unique<monitor::EventWriter>(s.layout.logs());
  SignalGuard signals;
  s.network.train();

  TrainResult result;
  s.started = std::chrono::steady_clock::now();
  auto window_start = s.started;
  std::int64_t window_tokens = 0, tokens_before = s.tokens, steps_before = s.step;
  double last_tokens_per_second = 0;

  while (!s.limit() || s.step < *s.limit()) {
    const auto& plan = s.plan_for(s.epoch);
    const auto size = static_cast<std::int64_t>(plan.size());
    if (s.batch_index >= size) {
      ++s.epoch;
      s.batch_index = 0;
      continue;
    }
    const std::int64_t start = s.batch_index, end = std::min<std::int64_t>(size, start + s.accumulation(s.epoch));
    std::vector<MicroBatch> step_batches(plan.begin() + start, plan.begin() + end);
    const std::int64_t tokens_at_start = s.tokens;
    StepTimes times;
    auto [loss, targets] = s.accumulate(step_batches, times);
    s.batch_index = end;
    Stopwatch optimizer_watch;
    const double regularizer = s.method.add_regularizer_gradients(s.scaler->scale());

    auto params = s.parameters();
    double grad_norm = std::nan("");
    const double lr = learning_rate(s.schedule, s.step) * s.lr_scale;
    if (s.scaler->unscale_and_check(params)) {
      grad_norm = clip_grad_norm(params, settings.max_grad_norm);
      s.optimizer->step(lr);
      s.method.after_step(s.step + 1);  // with this step's gradients
    } else {
      spdlog::warn("step {}: gradients overflowed in fp16; step skipped, loss scale now {}", s.step + 1, s.scaler->scale());
    }
    s.optimizer->zero_grad();
    s.scaler->update_after_step();
    device::synchronize(s.device);
    times.optimizer = optimizer_watch.lap();
    result.step_times.push_back(times);
    ++s.step;

    s.window_loss += loss;
    s.window_targets += targets;
    s.eval_window_loss += loss;
    s.eval_window_targets += targets;
    window_tokens += s.tokens - tokens_at_start;
    const bool last = s.limit() && s.step == *s.limit();
    // The logging window's mean loss, with this step's learning rate, gradient norm and batch.
    auto log_window = [&] {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start).count();
      const double mean = s.window_loss / static_cast<double>(std::max<std::int64_t>(s.window_targets, 1));
      last_tokens_per_second = seconds > 0 ? static_cast<double>(window_tokens) / seconds : 0.0;
      result.train_loss = mean;
      json entry{{"step", s.step},
                 {"epoch", s.current_epoch()},
                 {"train/loss", mean},
                 {"train/perplexity", std::exp(mean)},
                 {"train/learning_rate", lr},
                 {"train/effective_batch", (end - start) * settings.batch_size},
                 {"train/tokens_per_second", last_tokens_per_second}};
      if (std::isfinite(grad_norm)) entry["train/grad_norm"] = grad_norm;
      if (regularizer != 0) entry["train/regularizer"] = regularizer;
      s.record(entry);
      log_event("step", entry,
                "step " + std::to_string(s.step) + (s.limit() ? "/" + std::to_string(*s.limit()) : "") + " | epoch " +
                    text::format_number("%.2f", s.current_epoch()) + " | loss " + text::format_number("%.4f", mean) + " | lr " +
                    text::format_number("%.3e", lr) + " | grad norm " + text::format_number("%.3f", grad_norm) + " | " +
                    text::format_number("%.0f", last_tokens_per_second) + " tokens/s");
      s.window_loss = 0, s.window_targets = 0, window_tokens = 0;
      window_start = std::chrono::steady_clock::now();
    };
    if (s.step % settings.logging_steps == 0 || last) log_window();
    if (settings.progress_bar)
      set_status_line(monitor::progress_bar({s.step, s.limit(), s.current_epoch(), result.train_loss, last_tokens_per_second,
                                             s.seconds_since_start(), s.step - steps_before}));
    bool new_best = false;
    std::string stop;
    const bool evaluation_due = s.evaluation_due(start, end, size);
    if (evaluation_due || last) std::tie(new_best, stop) = s.evaluation_point();
    // With other ranks, the stop all of them agreed on at this step's sum (a signal arriving later on one
    // rank alone waits for the next step, or the ranks would part ways).
    const bool interrupted = s.group ? s.stop_agreed : stop_requested().load();
    const bool save_due = settings.save_steps ? s.step % *settings.save_steps == 0 : evaluation_due;
    if (!stop.empty() && s.window_targets > 0) log_window();  // the run ends here: its last steps are logged too
    if (settings.checkpoints && (save_due || last || new_best || !stop.empty() || interrupted)) s.save_checkpoint();
    if (!stop.empty()) {
      result.stop_reason = stop;
      break;
    }
    if (interrupted) {
      result.interrupted = true;
      break;
    }
  }
  if (settings.progress_bar) set_status_line("");
  s.plot();
  if (settings.restore_best && settings.checkpoints && s.best_val && s.best_step != s.step && (!result.interrupted || settings.finish_on_interrupt) &&
      s.restore_best()) {
    result.restored_best_step = s.best_step;
    spdlog::info("restored the best checkpoint: step {} (validation loss {:.4f}); the run ended at step {}", s.best_step,
                 *s.best_val, s.step);
  }
  result.steps = s.step;
  result.total_steps = s.schedule.total_steps;
  result.val_loss = s.evaluations.empty() || s.evaluations.back()["val_loss"].is_null()
                        ? std::nullopt
                        : std::optional<double>(s.evaluations.back()["val_loss"].get<double>());
  result.best_val_loss = s.best_val;
  result.best_step = s.best_step;
  result.epoch = s.current_epoch();
  result.tokens = s.tokens - tokens_before;
  result.seconds = s.seconds_since_start();
  for (const auto& [name, tensor] : s.optimizer->state_tensors()) result.optimizer_state_bytes += static_cast<std::int64_t>(tensor.nbytes());
  return result;
}

}  // namespace ftcore::train
