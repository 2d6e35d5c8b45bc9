#pragma once
// What `ftcore run` and `ftcore bench` set up the same way: the training method, the handler's and
// method's configuration layers, --lora-r auto, and the optimizer's settings.
#include <cstdint>

#include "commands.hpp"
#include "config/options.hpp"
#include "dist/group.hpp"
#include "dist/launcher.hpp"
#include "dist/world.hpp"
#include "ftcore/model_handler.hpp"
#include "ftcore/training_method.hpp"
#include "session.hpp"
#include "train/trainer.hpp"

namespace ftcore::cli {

/// --method's plugin; UsageError naming the installed ones.
const TrainingMethod& choose_method(const Session& session);

/// The handler's facts and the method's defaults join the configuration below YAML and flags.
void apply_layers(config::Config& config, const ModelHandler& handler, const FamilyFacts& facts,
                  const TrainingMethod& method);

/// --lora-r auto: by model size, <1B 8, 1-3B 16, 3-7B 32, 7-13B 64, 13-30B 128, larger 256.
std::int64_t auto_rank(std::int64_t parameters);
void resolve_auto_rank(config::Config& config, nn::CausalLM& network);

/// The method applied to the network (UsageError for options it refuses), with
/// --gradient-checkpointing.
std::unique_ptr<MethodRun> apply_method(const TrainingMethod& method, nn::CausalLM& network, const config::Config& config,
                                        const FamilyFacts& facts);

/// --device resolved (the GPU of `local_rank` for auto and cuda); UsageError for a device this build
/// or machine lacks. Checked before anything is read or written.
torch::Device training_device(const config::Config& config, int local_rank = 0);

/// The network moved to `device`, adapters and quantised codes included (after the method is applied).
void place_network(nn::CausalLM& network, const torch::Device& device);

/// How many ranks the run will have: the launcher's (torchrun, srun, a worker of --nproc), else --nproc.
int planned_ranks(const config::Config& config, const dist::World& world);

/// --effective-batch-size N: --grad-accum becomes N / (batch-size x ranks), set in the configuration
/// (so --print-config and config.resolved.yaml show it, with where it came from). UsageError when that
/// does not divide (saying which numbers would) or when --grad-accum was given too and differs.
void resolve_effective_batch(config::Config& config, int ranks);

/// Workers of `command`: `args` without the options `replaced` (the launcher's own), each with --threads
/// `threads`, else (0) its share of the cores unless the user set --threads.
dist::LaunchOptions worker_launch(const config::Config& config, const std::string& command, const Args& args, int nproc,
                                  const std::vector<std::string>& replaced, int threads = 0);

/// --nproc N (N > 1) in a process that no launcher started: runs N workers of `command` with `args`
/// (each with its share of the cores unless --threads says) and returns their exit code; nullopt when
/// this process is to train itself. UsageError for --nproc under torchrun or srun.
std::optional<int> launch_workers(const config::Config& config, const std::string& command, const Args& args,
                                  const dist::World& world);

/// Joins a distributed run (nullptr for a single process): every rank but 0 logs warnings and errors
/// only, prefixed with its rank.
std::unique_ptr<dist::Group> join_run(const config::Config& config, const dist::World& world, const torch::Device& device);

/// The batch and optimizer settings both commands read: --batch-size, --grad-accum, the learning
/// rate and its schedule, AdamW's betas, decay, clipping, the optimizer and the seed. UsageError for
/// values out of range.
void read_optimizer_settings(const config::Config& config, train::TrainerSettings& settings);

}  // namespace ftcore::cli
