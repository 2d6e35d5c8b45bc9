#pragma once
// The lora, dora and qlora methods: PEFT's LoRA (and LoRA with use_dora), saved as a PEFT adapter
// (adapter_config.json + adapter_model.safetensors with PEFT's key names) that
// peft.PeftModel.from_pretrained loads. qlora first stores every linear layer of the decoder in
// 4 bits (bitsandbytes' NF4/FP4, ftcore/nn/quant.hpp), as transformers' load_in_4bit does, and
// --load-in-8bit does the same in int8 for lora and dora; the adapter file is the same.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ftcore/training_method.hpp"

namespace ftcore::methods {

class LoraMethod final : public TrainingMethod {
 public:
  enum class Variant { lora, dora, qlora };
  explicit LoraMethod(Variant variant = Variant::lora) : variant_(variant) {}

  std::string name() const override;
  std::string description() const override;
  std::vector<std::pair<std::string, std::string>> defaults() const override;
  std::unique_ptr<MethodRun> apply(nn::CausalLM& network, const Options& options, const FamilyFacts& facts) const override;
  bool recognises(const std::filesystem::path& dir) const override;
  std::unique_ptr<MethodRun> load(nn::CausalLM& network, const std::filesystem::path& dir, bool trainable) const override;

 private:
  Variant variant_;
};

}  // namespace ftcore::methods
