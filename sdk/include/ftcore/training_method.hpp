#pragma once
// TrainingMethod: one way of choosing what trains (lora, qlora, dora, adalora, full, freeze).
// It prepares a network for training (freezes what stays, adds adapters), and reads and writes
// its artefact in the format its ecosystem reads (a PEFT adapter, a Hugging Face model directory).
// The network is only named here; implementations include ftcore/nn/modules.hpp.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ftcore/model_handler.hpp"
#include "ftcore/options.hpp"

namespace ftcore {

namespace nn {
class CausalLM;
}

/// What a saved artefact records about its origin.
struct SaveInfo {
  std::filesystem::path base_model;  ///< the base model directory (PEFT's base_model_name_or_path)
  nlohmann::json base_config;        ///< its config.json
};

/// A method applied to one network.
class MethodRun {
 public:
  virtual ~MethodRun() = default;
  /// One line for the log, e.g. "LoRA r=16 alpha=32 dropout 0.05 on 14 layers (q_proj, v_proj)".
  virtual std::string summary() const = 0;
  /// Folder of the artefact under the output directory: "lora" for adapters, "full" for weights.
  virtual std::string artefact() const = 0;
  /// Writes the artefact into `dir` (created if needed; files replaced).
  virtual void save(const std::filesystem::path& dir, const SaveInfo& info) const = 0;
  /// Whether checkpoints carry the artefact too (small ones do; whole models are in the checkpoint's
  /// weights already).
  virtual bool artefact_in_checkpoints() const { return true; }
  /// Folds what was learned into the base weights and gives back the plain network (LoRA:
  /// W += scale * B A). A no-op for methods that train the weights themselves.
  virtual void merge() = 0;
  /// PEFT's merge_adapter / unmerge_adapter: fold the adapter into the base weights while keeping it
  /// (faster inference), and take it out again (to train on). No-ops for methods without adapters.
  virtual void merge_adapter() {}
  virtual void unmerge_adapter() {}
  /// Called before the first step (and again on resume) with the run's total optimizer steps
  /// (AdaLoRA's budget schedule); throws std::invalid_argument when the method cannot train so.
  virtual void begin_training(std::int64_t total_steps) { (void)total_steps; }
  /// Adds the method's regulariser (AdaLoRA's orthogonality penalty) to the gradients of the step
  /// about to be taken, once per optimizer step after the micro-batches' backward passes, its
  /// gradient multiplied by `grad_scale` (the fp16 loss scale, else 1); returns its value (0: none).
  virtual double add_regularizer_gradients(double grad_scale) { (void)grad_scale; return 0; }
  /// Called after every optimizer step that was taken (AdaLoRA's rank allocator), with the step just
  /// done (1-based) and that step's gradients still on the parameters.
  virtual void after_step(std::int64_t step) { (void)step; }
  /// State besides the trainable weights that a checkpoint keeps so that a resumed run continues
  /// exactly (AdaLoRA's importance averages and rank pattern): written into and read from the
  /// checkpoint folder. load_training_state throws std::invalid_argument for state that does not fit.
  virtual void save_training_state(const std::filesystem::path& dir) const { (void)dir; }
  virtual void load_training_state(const std::filesystem::path& dir) { (void)dir; }
};

class TrainingMethod {
 public:
  virtual ~TrainingMethod() = default;

  /// Name used with --method, e.g. "lora".
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;

  /// The method's defaults for run options, as (option key, value) pairs in the option table's
  /// spelling, e.g. {"learning-rate", "2e-4"}. They sit above built-in defaults and below the
  /// mode preset, the YAML file and the command line.
  virtual std::vector<std::pair<std::string, std::string>> defaults() const = 0;

  /// Prepares `network` for training with the resolved options: freezes what does not train and
  /// adds what does. Throws std::invalid_argument naming the option for a value that cannot work
  /// with this model (nothing is changed then).
  virtual std::unique_ptr<MethodRun> apply(nn::CausalLM& network, const Options& options,
                                           const FamilyFacts& facts) const = 0;

  /// Whether `dir` holds an artefact of this method (e.g. adapter_config.json with its peft_type).
  virtual bool recognises(const std::filesystem::path& dir) const = 0;

  /// Loads such an artefact into `network`, to generate with it or to train it further
  /// (`trainable`). Throws std::invalid_argument naming the file and tensor when it does not fit.
  virtual std::unique_ptr<MethodRun> load(nn::CausalLM& network, const std::filesystem::path& dir,
                                          bool trainable) const = 0;
};

}  // namespace ftcore
