#include "full/full_method.hpp"

#include <sstream>

#include "ftcore/nn/io.hpp"
#include "ftcore/nn/modules.hpp"

namespace ftcore::methods {

namespace fs = std::filesystem;

namespace {

class FullRun final : public MethodRun {
 public:
  FullRun(nn::CausalLM& network, std::string what) : network_(network), what_(std::move(what)) {}

  std::string summary() const override { return what_; }
  std::string artefact() const override { return "full"; }
  void save(const fs::path& dir, const SaveInfo& info) const override { nn::save_model_dir(network_, info.base_model, dir); }
  bool artefact_in_checkpoints() const override { return false; }
  void merge() override {}

 private:
  nn::CausalLM& network_;
  std::string what_;
};

std::string everything(nn::CausalLM& network) {
  std::int64_t count = 0;
  for (const auto& p : network.parameters()) count += p.numel();
  std::ostringstream out;
  out << "full fine-tuning: all " << count << " parameters train";
  return out.str();
}

void set_trainable(nn::CausalLM& network, bool trainable) {
  for (auto& p : network.parameters()) p.set_requires_grad(trainable);
}

}  // namespace

std::unique_ptr<MethodRun> model_directory_run(nn::CausalLM& network, std::string what) {
  return std::make_unique<FullRun>(network, std::move(what));
}

std::string FullMethod::name() const { return "full"; }

std::string FullMethod::description() const {
  return "Full fine-tuning: every weight trains; writes a Hugging Face model directory";
}

std::vector<std::pair<std::string, std::string>> FullMethod::defaults() const {
  return {{"learning-rate", "2e-5"}, {"grad-accum", "32"}, {"warmup-ratio", "0.03"}, {"weight-decay", "0.1"}};
}

void refuse_quantised_base(const Options& options, const std::string& method) {
  if (options.flag("load-in-8bit"))
    throw std::invalid_argument("--load-in-8bit keeps the base weights frozen in int8, but --method " + method +
                                " trains them: use an adapter method (lora, dora, qlora) or leave --load-in-8bit out");
}

std::unique_ptr<MethodRun> FullMethod::apply(nn::CausalLM& network, const Options& options, const FamilyFacts&) const {
  refuse_quantised_base(options, "full");
  set_trainable(network, true);
  return model_directory_run(network, everything(network));
}

bool FullMethod::recognises(const fs::path& dir) const {
  return !fs::exists(dir / "adapter_config.json") && fs::exists(dir / "config.json") &&
         (fs::exists(dir / "model.safetensors") || fs::exists(dir / "model.safetensors.index.json"));
}

std::unique_ptr<MethodRun> FullMethod::load(nn::CausalLM& network, const fs::path& dir, bool trainable) const {
  nn::load_model_weights(network, dir);
  set_trainable(network, trainable);
  return model_directory_run(network, everything(network));
}

}  // namespace ftcore::methods
