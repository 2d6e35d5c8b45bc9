#include "train/trainer.hpp"

#include <csignal>
#include <cmath>
#include <fstream>
#include <set>

#include <spdlog/spdlog.h>

#include "errors.hpp"
#include "ftcore/version.hpp"
#include "model/model_config.hpp"
#include "monitor/plot.hpp"
#include "monitor/tensorboard.hpp"
#include "train/gradients.hpp"
#include "train/loss.hpp"
#include "train/optimizer.hpp"
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

torch::Tensor cpu_rng_state() {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_cpu_rng_state(const torch::Tensor& state) {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
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

}  // namespace

// ---- state -----------------------------------------------------------------------------------

struct Trainer::State {
  nn::CausalLM& network;
  MethodRun& method;
  const std::vector<Example>& train;
  const std::vector<Example>& validation;
  std::int32_t pad_id;
  TrainerSettings settings;
  OutputLayout layout;
  SaveInfo save_info;

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

  std::unique_ptr<monitor::EventWriter> events;

  State(nn::CausalLM& n, MethodRun& m, const std::vector<Example>& t, const std::vector<Example>& v, std::int32_t pad,
        TrainerSettings s, OutputLayout l, SaveInfo info)
      : network(n), method(m), train(t), validation(v), pad_id(pad), settings(s), layout(std::move(l)), save_info(std::move(info)) {}

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

  std::int64_t steps_in_epoch(std::int64_t e) {
    return ceil_div(static_cast<std::int64_t>(plan_for(e).size()), settings.grad_accum);
  }

  std::int64_t total_steps() {
    if (settings.max_steps) return *settings.max_steps;
    const auto whole = static_cast<std::int64_t>(std::floor(settings.epochs));
    std::int64_t total = 0;
    for (std::int64_t e = 0; e < whole; ++e) total += steps_in_epoch(e);
    const double fraction = settings.epochs - static_cast<double>(whole);
    if (fraction > 0) total += static_cast<std::int64_t>(std::ceil(fraction * static_cast<double>(steps_in_epoch(whole))));
    planned_epoch = -1;
    return std::max<std::int64_t>(total, 1);
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
    std::ofstream(layout.metrics(), std::ios::app) << entry.dump() << "\n";
    for (const auto& [key, value] : entry.items()) {
      if (key == "step" || key == "epoch" || !value.is_number()) continue;
      events->add_scalar(key, entry["step"].get<std::int64_t>(), value.get<double>());
    }
    events->flush();
  }

  void plot() {
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
                {"history", history},
                {"optimizer", optimizer->state_json()},
                {"loss_scaler", scaler->state()},
                {"ftcore_version", FTCORE_VERSION}};
  }

  void save_checkpoint() {
    const fs::path dir = layout.checkpoint(step);
    write_atomically(dir, [&](const fs::path& staging) {
      weights::save_file(staging / "trainable.safetensors", trainable);
      weights::save_file(staging / "optimizer.safetensors", optimizer->state_tensors());
      weights::save_file(staging / "rng.safetensors", {{"cpu", cpu_rng_state()}});
      std::ofstream(staging / "trainer_state.json") << trainer_state().dump(1) << "\n";
      if (method.artefact_in_checkpoints()) method.save(staging / method.artefact(), save_info);
      method.save_training_state(staging);
    });
    publish_alias(dir, layout.last());
    if (best_step == step) publish_alias(dir, layout.best());
    remove_old_checkpoints(layout.checkpoints(), settings.save_total_limit);
    spdlog::info("checkpoint: {}", dir.string());
  }

  void load_checkpoint(const fs::path& dir) {
    json state = model::read_json_file(dir / "trainer_state.json");
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
    auto optimizer_file = weights::SafetensorsFile::open(dir / "optimizer.safetensors");
    std::map<std::string, torch::Tensor> optimizer_state;
    for (const auto& info : optimizer_file->tensors()) optimizer_state.emplace(info.name, optimizer_file->tensor(info.name).clone());
    optimizer->load_state(optimizer_state, state["optimizer"]);
    method.load_training_state(dir);
    scaler->load_state(state["loss_scaler"]);
    set_cpu_rng_state(weights::SafetensorsFile::open(dir / "rng.safetensors")->tensor("cpu").clone());
    step = state["step"];
    epoch = state["epoch"];
    batch_index = state["batch_index"];
    tokens = state.value("tokens", std::int64_t{0});
    if (state["best_val_loss"].is_number()) best_val = state["best_val_loss"].get<double>();
    best_step = state["best_step"];
    window_loss = state["window"]["loss"];
    window_targets = state["window"]["targets"];
    history = state["history"];
  }

  // ---- one step ------------------------------------------------------------------------------

  /// Forward and backward over one accumulation group; returns (summed loss, trained targets).
  std::pair<double, std::int64_t> accumulate(const std::vector<MicroBatch>& group) {
    std::int64_t targets = 0;
    for (const auto& micro : group) targets += count_targets(train, micro);
    double loss = 0;
    for (const auto& micro : group) {
      Batch batch = collate(train, micro, pad_id);
      auto sum = loss_sum(network, batch);
      (sum * (scaler->scale() / static_cast<double>(std::max<std::int64_t>(targets, 1)))).backward();
      loss += sum.item<double>();
      tokens += batch.tokens;
    }
    return {loss, targets};
  }
};

// ---- Trainer ---------------------------------------------------------------------------------

Trainer::Trainer(nn::CausalLM& network, MethodRun& method, const std::vector<Example>& train,
                 const std::vector<Example>& validation, std::int32_t pad_id, TrainerSettings settings, OutputLayout layout,
                 SaveInfo save_info)
    : state_(std::make_unique<State>(network, method, train, validation, pad_id, settings, std::move(layout),
                                     std::move(save_info))) {
  auto& s = *state_;
  if (s.train.empty()) throw UsageError("no training examples");
  for (const auto& item : network.named_parameters())
    if (item.value().requires_grad()) s.trainable.emplace_back(item.key(), item.value());
  if (s.trainable.empty()) throw RunError("the method left nothing to train");
  s.make_optimizer();
  s.scaler = std::make_unique<LossScaler>(settings.fp16);
  const std::int64_t total = s.total_steps();
  s.schedule = Schedule{settings.schedule, warmup_steps(settings.warmup_steps, settings.warmup_ratio, total), total,
                        settings.learning_rate};
  try {
    method.begin_training(total);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

Trainer::~Trainer() = default;

std::int64_t Trainer::total_steps() const { return state_->schedule.total_steps; }

double Trainer::evaluate() {
  auto& s = *state_;
  torch::NoGradGuard no_grad;
  s.network.eval();
  double loss = 0;
  std::int64_t targets = 0;
  for (const auto& micro : plan_epoch(s.validation, s.batching(false), 0)) {
    Batch batch = collate(s.validation, micro, s.pad_id);
    loss += loss_sum(s.network, batch).item<double>();
    targets += batch.targets;
  }
  s.network.train();
  return targets > 0 ? loss / static_cast<double>(targets) : std::nan("");
}

TrainResult Trainer::run(const std::optional<fs::path>& resume_from) {
  auto& s = *state_;
  const auto& settings = s.settings;
  fs::create_directories(s.layout.logs());
  if (resume_from) {
    s.load_checkpoint(*resume_from);
    s.rewrite_metrics();
    spdlog::info("resuming from {} at step {} (epoch {}, micro-batch {})", resume_from->string(), s.step, s.epoch, s.batch_index);
  } else {
    torch::manual_seed(settings.seed);
    std::ofstream(s.layout.metrics(), std::ios::trunc);
  }
  s.events = std::make_unique<monitor::EventWriter>(s.layout.logs());
  SignalGuard signals;
  s.network.train();

  const std::int64_t total = s.schedule.total_steps;
  const std::int64_t eval_every = settings.eval_steps.value_or(std::max<std::int64_t>(1, s.steps_in_epoch(0)));
  const std::int64_t save_every = settings.save_steps.value_or(eval_every);
  TrainResult result;
  result.total_steps = total;
  auto started = std::chrono::steady_clock::now();
  auto window_start = started;
  std::int64_t window_tokens = 0, tokens_before = s.tokens;

  while (s.step < total) {
    const auto& plan = s.plan_for(s.epoch);
    if (s.batch_index >= static_cast<std::int64_t>(plan.size())) {
      ++s.epoch;
      s.batch_index = 0;
      continue;
    }
    const auto end = std::min<std::int64_t>(static_cast<std::int64_t>(plan.size()), s.batch_index + settings.grad_accum);
    std::vector<MicroBatch> group(plan.begin() + s.batch_index, plan.begin() + end);
    const std::int64_t tokens_at_start = s.tokens;
    auto [loss, targets] = s.accumulate(group);
    s.batch_index = end;
    const double regularizer = s.method.add_regularizer_gradients(s.scaler->scale());

    auto params = s.parameters();
    double grad_norm = std::nan("");
    const double lr = learning_rate(s.schedule, s.step);
    if (s.scaler->unscale_and_check(params)) {
      grad_norm = clip_grad_norm(params, settings.max_grad_norm);
      s.optimizer->step(lr);
      s.method.after_step(s.step + 1);  // with this step's gradients
    } else {
      spdlog::warn("step {}: gradients overflowed in fp16; step skipped, loss scale now {}", s.step + 1, s.scaler->scale());
    }
    s.optimizer->zero_grad();
    s.scaler->update_after_step();
    ++s.step;

    s.window_loss += loss;
    s.window_targets += targets;
    window_tokens += s.tokens - tokens_at_start;
    const bool last = s.step == total;
    if (s.step % settings.logging_steps == 0 || last) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start).count();
      const double mean = s.window_loss / static_cast<double>(std::max<std::int64_t>(s.window_targets, 1));
      result.train_loss = mean;
      json entry{{"step", s.step},
                 {"epoch", s.current_epoch()},
                 {"train/loss", mean},
                 {"train/learning_rate", lr},
                 {"train/tokens_per_second", seconds > 0 ? static_cast<double>(window_tokens) / seconds : 0.0}};
      if (std::isfinite(grad_norm)) entry["train/grad_norm"] = grad_norm;
      if (regularizer != 0) entry["train/regularizer"] = regularizer;
      s.record(entry);
      spdlog::info("step {}/{} | epoch {:.2f} | loss {:.4f} | lr {:.3e} | grad norm {:.3f} | {:.0f} tokens/s", s.step, total,
                   s.current_epoch(), mean, lr, grad_norm, entry["train/tokens_per_second"].get<double>());
      s.window_loss = 0, s.window_targets = 0, window_tokens = 0;
      window_start = std::chrono::steady_clock::now();
    }
    bool new_best = false;
    if (!s.validation.empty() && (s.step % eval_every == 0 || last)) {
      const double val = evaluate();
      result.val_loss = val;
      new_best = !s.best_val || val < *s.best_val;
      if (new_best) s.best_val = val, s.best_step = s.step;
      s.record({{"step", s.step}, {"epoch", s.current_epoch()}, {"eval/loss", val}, {"eval/perplexity", std::exp(val)}});
      spdlog::info("evaluation at step {}: validation loss {:.4f} (perplexity {:.2f}), best {:.4f} at step {}", s.step, val,
                   std::exp(val), *s.best_val, s.best_step);
      s.plot();
    }
    const bool stop = stop_requested().load();
    if (s.step % save_every == 0 || last || new_best || stop) s.save_checkpoint();
    if (stop) {
      result.interrupted = true;
      break;
    }
  }
  s.plot();
  result.steps = s.step;
  result.best_val_loss = s.best_val;
  result.best_step = s.best_step;
  result.tokens = s.tokens - tokens_before;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace ftcore::train
