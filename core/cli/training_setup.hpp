#pragma once
// What `ftcore run` and `ftcore bench` set up the same way: the training method, the handler's and
// method's configuration layers, --lora-r auto, and the optimizer's settings.
#include <cstdint>

#include "config/options.hpp"
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

/// The batch and optimizer settings both commands read: --batch-size, --grad-accum, the learning
/// rate and its schedule, AdamW's betas, decay, clipping, the optimizer and the seed. UsageError for
/// values out of range.
void read_optimizer_settings(const config::Config& config, train::TrainerSettings& settings);

}  // namespace ftcore::cli
