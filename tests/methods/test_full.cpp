// The full method: everything trains, the artefact is a model directory that loads back.
#include <gtest/gtest.h>

#include "full/full_method.hpp"
#include "method_support.hpp"
#include "model/model_dir.hpp"
#include "test_support.hpp"

using namespace ftcore;
using ftcore::testing::MapOptions;
using ftcore::testing::TempDir;

TEST(Full, EveryParameterTrainsAndTheArtefactIsAModelDirectory) {
  TempDir dir;
  model::InitOptions init;
  init.out = dir.path() / "base";
  model::init_model(ftcore::testing::family("gemma"), init);
  auto base = model::load_model(init.out, ftcore::testing::builtin_handlers(), {});
  const methods::FullMethod full;
  auto run = full.apply(*base.network, MapOptions(), base.facts);
  for (const auto& p : base.network->parameters()) EXPECT_TRUE(p.requires_grad());
  EXPECT_FALSE(run->artefact_in_checkpoints());
  {
    torch::NoGradGuard no_grad;
    base.network->named_parameters()["model.norm.weight"].fill_(0.25);
  }
  run->save(dir.path() / "full", SaveInfo{init.out, base.config});
  EXPECT_TRUE(full.recognises(dir.path() / "full"));
  EXPECT_FALSE(full.recognises(init.out / "missing"));
  for (const char* file : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"})
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "full" / file)) << file;

  auto again = model::load_model(init.out, ftcore::testing::builtin_handlers(), {});
  full.load(*again.network, dir.path() / "full", false);
  EXPECT_EQ(again.network->named_parameters()["model.norm.weight"][0].item<float>(), 0.25f);
  for (const auto& p : again.network->parameters()) EXPECT_FALSE(p.requires_grad());
}
