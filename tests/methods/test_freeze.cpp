// The freeze method: which parameters train for each choice of layers and modules, its errors, and
// and that it leaves loading its model directory to the full method.
#include <gtest/gtest.h>

#include "freeze/freeze_method.hpp"
#include "method_support.hpp"
#include "test_support.hpp"

using namespace ftcore;
using ftcore::testing::MapOptions;
using ftcore::testing::TempDir;
using ftcore::testing::error_of;
using ftcore::testing::facts;
using ftcore::testing::tiny_network;
using ftcore::testing::trainable_names;

namespace {

const methods::FreezeMethod kFreeze;


bool all_start_with(const std::vector<std::string>& names, const std::string& prefix) {
  for (const auto& n : names)
    if (n.rfind(prefix, 0) != 0) return false;
  return !names.empty();
}

}  // namespace

TEST(Freeze, TheLastLayersTrainByDefault) {
  auto network = tiny_network("llama");  // 2 layers
  auto run = kFreeze.apply(*network, MapOptions({{"freeze-trainable-layers", "1"}}), facts("llama"));
  EXPECT_TRUE(all_start_with(trainable_names(*network), "model.layers.1."));
  EXPECT_EQ(run->artefact(), "full");
  EXPECT_FALSE(run->artefact_in_checkpoints());
  EXPECT_NE(run->summary().find("freeze tuning: layers 1-1 of 2 (all)"), std::string::npos) << run->summary();
  kFreeze.apply(*network, MapOptions({{"freeze-trainable-layers", "-1"}}), facts("llama"));
  EXPECT_TRUE(all_start_with(trainable_names(*network), "model.layers.0.")) << "negative: the first layers";
}

TEST(Freeze, ModulesInsideAndOutsideTheLayers) {
  auto network = tiny_network("gpt2");
  kFreeze.apply(*network, MapOptions({{"freeze-trainable-layers", "2"}, {"freeze-trainable-modules", "mlp"},
                                      {"freeze-extra-modules", "ln_f,wte"}}),
                facts("gpt2"));
  auto names = trainable_names(*network);
  EXPECT_EQ(names, (std::vector<std::string>{"transformer.wte.weight", "transformer.h.0.mlp.c_fc.weight",
                                             "transformer.h.0.mlp.c_fc.bias", "transformer.h.0.mlp.c_proj.weight",
                                             "transformer.h.0.mlp.c_proj.bias", "transformer.h.1.mlp.c_fc.weight",
                                             "transformer.h.1.mlp.c_fc.bias", "transformer.h.1.mlp.c_proj.weight",
                                             "transformer.h.1.mlp.c_proj.bias", "transformer.ln_f.weight",
                                             "transformer.ln_f.bias"}));
}

TEST(Freeze, BadChoicesAreErrorsThatSayWhatExists) {
  auto network = tiny_network("llama");
  EXPECT_NE(error_of([&] { kFreeze.apply(*network, MapOptions({{"freeze-trainable-layers", "3"}}), facts("llama")); })
                .find("--freeze-trainable-layers 3: this model has 2 layers; give N in 1..2 (the last N) or -2..-1"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              kFreeze.apply(*network, MapOptions({{"freeze-trainable-modules", "mlpp"}}), facts("llama"));
            }).find("--freeze-trainable-modules 'mlpp' names no module of the decoder layers (they have "),
            std::string::npos);
  const std::string extra = error_of([&] {
    kFreeze.apply(*network, MapOptions({{"freeze-extra-modules", "head"}}), facts("llama"));
  });
  EXPECT_NE(extra.find("--freeze-extra-modules 'head' names no module outside the decoder layers (there are "
                       "embed_tokens, lm_head, norm)"),
            std::string::npos) << extra;
}

TEST(Freeze, LeavesItsModelDirectoriesToTheFullMethod) {
  // Its artefact is full/ (written by the full method's code; tests/e2e/test_train.sh loads one).
  TempDir dir;
  EXPECT_FALSE(kFreeze.recognises(dir.path()));
  EXPECT_EQ(kFreeze.name(), "freeze");
  EXPECT_EQ(kFreeze.defaults().back(), (std::pair<std::string, std::string>{"freeze-trainable-layers", "2"}));
}
