#include "training_setup.hpp"

#include <string>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "device/device.hpp"
#include "dist/launcher.hpp"
#include "config/cli_parser.hpp"
#include "errors.hpp"
#include "log.hpp"
#include "runtime.hpp"
#include "util/text.hpp"

namespace ftcore::cli {

using config::Layer;

namespace {

/// --dist-timeout, checked.
std::chrono::seconds dist_timeout(const config::Config& config) {
  const auto seconds = config.integer("dist-timeout").value_or(600);
  if (seconds < 1) throw UsageError("--dist-timeout " + std::to_string(seconds) + ": must be at least 1 second");
  return std::chrono::seconds(seconds);
}

std::string installed(const Registry& registry, ComponentKind kind) {
  auto names = registry.names(kind);
  return names.empty() ? "none" : text::join(names, ", ");
}

}  // namespace

const TrainingMethod& choose_method(const Session& session) {
  const std::string name = *session.config.text("method");
  if (const TrainingMethod* method = session.registry.method(name)) return *method;
  throw UsageError("--method '" + name + "': no such training method" +
                   text::did_you_mean(name, session.registry.names(ComponentKind::method)) +
                   "; installed: " + installed(session.registry, ComponentKind::method));
}

void apply_layers(config::Config& config, const ModelHandler& handler, const FamilyFacts& facts,
                  const TrainingMethod& method) {
  config.set("max-length", facts.max_length, Layer::handler, "handler " + handler.name() + " (max_position_embeddings)");
  if (config.text("precision") == std::string("auto"))
    config.set("precision", facts.training_precision, Layer::handler, "handler " + handler.name());
  for (const auto& [key, value] : method.defaults()) config.set_text(key, value, Layer::method, "method " + method.name());
  if (!config.has("epochs")) config.set("epochs", 3.0, Layer::builtin, "built-in default (mode medium)");
  if (!config.has("lora-alpha"))
    if (auto r = config.integer("lora-r")) config.set("lora-alpha", 2.0 * static_cast<double>(*r), Layer::method, "2 x lora-r");
}

std::int64_t auto_rank(std::int64_t parameters) {
  const double billions = static_cast<double>(parameters) / 1e9;
  for (auto [limit, rank] : {std::pair{1.0, 8}, {3.0, 16}, {7.0, 32}, {13.0, 64}, {30.0, 128}})
    if (billions < limit) return rank;
  return 256;
}

void resolve_auto_rank(config::Config& config, nn::CausalLM& network) {
  if (config.text("lora-r") != std::string("auto")) return;
  std::int64_t parameters = 0;
  for (const auto& p : network.parameters()) parameters += p.numel();
  const std::int64_t rank = auto_rank(parameters);
  const auto origin = config.find("lora-r")->origin + " = auto (" + std::to_string(parameters) + " parameters)";
  config.set("lora-r", rank, config.find("lora-r")->layer, origin);
  // lora-alpha follows the rank unless something else set it (apply_layers could not: the rank was "auto").
  const config::Setting* alpha = config.find("lora-alpha");
  if (!alpha || alpha->origin == "2 x lora-r") config.set("lora-alpha", 2.0 * rank, Layer::method, "2 x lora-r");
}

std::unique_ptr<MethodRun> apply_method(const TrainingMethod& method, nn::CausalLM& network, const config::Config& config,
                                        const FamilyFacts& facts) {
  std::unique_ptr<MethodRun> run;
  try {
    run = method.apply(network, config, facts);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string(e.what()) + " (method '" + method.name() + "')");
  }
  if (config.flag("gradient-checkpointing")) network.set_gradient_checkpointing(true);
  return run;
}

torch::Device training_device(const config::Config& config, int local_rank) {
  return device::resolve(*config.text("device"), local_rank);
}

void place_network(nn::CausalLM& network, const torch::Device& device) {
  if (device.is_cpu()) return;
  network.to(device);
  spdlog::info("device: {} ({})", device.str(), device::describe(device));
}

int planned_ranks(const config::Config& config, const dist::World& world) {
  if (world.distributed()) return world.size;
  return static_cast<int>(std::max<std::int64_t>(1, config.integer("nproc").value_or(1)));
}

void resolve_effective_batch(config::Config& config, int ranks) {
  const auto wanted = config.integer("effective-batch-size");
  const auto micro = config.integer("batch-size");
  if (!wanted || !micro || *micro < 1) return;  // read_optimizer_settings refuses a batch size below 1
  const std::int64_t accumulation = dist::accumulation_for(*wanted, *micro, ranks);
  const std::string split = "--effective-batch-size " + std::to_string(*wanted) + " / (--batch-size " + std::to_string(*micro) +
                            " x " + std::to_string(ranks) + " rank" + (ranks == 1 ? ")" : "s)");
  const config::Setting* given = config.find("grad-accum");
  if (given && given->layer >= config::Layer::yaml) {
    if (config.integer("grad-accum") != accumulation)
      throw UsageError(split + " means --grad-accum " + std::to_string(accumulation) + ", but " + given->origin + " " +
                       config::value_text(given->value) + " was given too: give one of them");
    return;
  }
  config.set("grad-accum", accumulation, config::Layer::mode, split);
}

dist::LaunchOptions worker_launch(const config::Config& config, const std::string& command, const Args& args, int nproc,
                                  const std::vector<std::string>& replaced, int threads) {
  dist::LaunchOptions launch;
  launch.nproc = nproc;
  launch.command.push_back(command);
  for (auto& word : config::remove_options(args, replaced)) launch.command.push_back(word);
  if (threads <= 0 && !config.has("threads")) {  // each worker its share of the cores
    const int cores = available_cpus();
    threads = std::max(1, cores / nproc);
  }
  if (threads > 0) launch.command.insert(launch.command.end(), {"--threads", std::to_string(threads)});
  return launch;
}

std::optional<int> launch_workers(const config::Config& config, const std::string& command, const Args& args,
                                  const dist::World& world) {
  const std::int64_t nproc = config.integer("nproc").value_or(1);
  if (nproc < 1) throw UsageError("--nproc " + std::to_string(nproc) + ": must be at least 1");
  const int cpus = available_cpus();
  if (nproc > cpus && !training_device(config, 0).is_cuda())
    throw UsageError("--nproc " + std::to_string(nproc) + ": this machine lets ftcore run on " + std::to_string(cpus) +
                     " CPU" + (cpus == 1 ? "" : "s") + ", and each worker on the CPU needs one (at most " +
                     std::to_string(cpus) + ")");
  dist_timeout(config);
  if (nproc == 1) return std::nullopt;
  if (world.distributed())
    throw UsageError("--nproc " + std::to_string(nproc) + " starts workers itself, but this process is already " +
                     dist::describe(world) + ": leave --nproc out under torchrun or srun");
  return dist::launch_local(worker_launch(config, command, args, static_cast<int>(nproc), {"nproc"}));
}

std::unique_ptr<dist::Group> join_run(const config::Config& config, const dist::World& world, const torch::Device& device) {
  if (!world.launched()) return nullptr;
  if (!world.writes()) set_rank_logging(world.rank);
  if (!world.distributed() && !dist::built_for(device)) {  // one rank alone needs no backend
    spdlog::info("distributed: a single rank ({}); no process group", world.launcher);
    return nullptr;
  }
  auto group = dist::connect(world, device, dist_timeout(config));
  spdlog::info("distributed: {} rank{} over {} ({}), this is {}", world.size, world.size == 1 ? "" : "s", group->backend(), world.launcher,
               dist::describe(world));
  return group;
}

void read_optimizer_settings(const config::Config& config, train::TrainerSettings& s) {
  s.batch_size = *config.integer("batch-size");
  s.grad_accum = config.integer("grad-accum").value_or(1);
  s.learning_rate = config.number("learning-rate").value_or(2e-4);
  s.weight_decay = config.number("weight-decay").value_or(0.0);
  s.max_grad_norm = *config.number("max-grad-norm");
  s.adam_beta1 = *config.number("adam-beta1");
  s.adam_beta2 = *config.number("adam-beta2");
  s.adam_epsilon = *config.number("adam-epsilon");
  s.optimizer = *config.text("optimizer");
  s.schedule = train::parse_schedule(*config.text("lr-scheduler"));
  s.warmup_steps = config.integer("warmup-steps");
  s.warmup_ratio = config.number("warmup-ratio");
  s.seed = static_cast<std::uint64_t>(*config.integer("seed"));
  for (auto [name, value] : {std::pair{"batch-size", s.batch_size}, std::pair{"grad-accum", s.grad_accum}})
    if (value < 1) throw UsageError(std::string("--") + name + " must be at least 1");
  if (s.learning_rate <= 0) throw UsageError("--learning-rate must be positive");
}

}  // namespace ftcore::cli
