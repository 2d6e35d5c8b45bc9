#pragma once
// The full method: every weight trains; the artefact is a Hugging Face model directory.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ftcore/training_method.hpp"

namespace ftcore::methods {

/// A run whose artefact is the whole network as a model directory ("full/"): full fine-tuning, and
/// freeze (only some of the weights trained, all of them written). `what` is the summary line.
std::unique_ptr<MethodRun> model_directory_run(nn::CausalLM& network, std::string what);
/// Methods that train base weights cannot keep them in int8: std::invalid_argument for --load-in-8bit.
void refuse_quantised_base(const Options& options, const std::string& method);

class FullMethod final : public TrainingMethod {
 public:
  std::string name() const override;
  std::string description() const override;
  std::vector<std::pair<std::string, std::string>> defaults() const override;
  std::unique_ptr<MethodRun> apply(nn::CausalLM& network, const Options& options, const FamilyFacts& facts) const override;
  bool recognises(const std::filesystem::path& dir) const override;
  std::unique_ptr<MethodRun> load(nn::CausalLM& network, const std::filesystem::path& dir, bool trainable) const override;
};

}  // namespace ftcore::methods
