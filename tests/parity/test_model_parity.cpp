// Models against the pinned transformers (reference_models.py -> FTCORE_PARITY_DIR/refs/models.json):
//  - tiny random checkpoints of every family made by transformers: ftcore's fp32 logits on a
//    right-padded batch within 1e-4 at every real position, and 20 greedy tokens identical;
//  - directories written by `ftcore init-model`, loaded by transformers: the same logits, token
//    ids and chat-template renderings on both sides.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "generate/generator.hpp"
#include "handler_registry.hpp"
#include "model/model_dir.hpp"
#include "parity_common.hpp"
#include "parity_models.hpp"
#include "parity_tensors.hpp"
#include "weights/safetensors.hpp"

namespace {

using nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr double kTolerance = 1e-4;

const ordered_json& models_reference() {
  const auto& loaded = ftcore::parity::reference_file("models.json");
  if (!loaded.error.empty()) throw std::runtime_error(loaded.error);
  return loaded.doc;
}

const ordered_json& find_entry(const char* list, const std::string& key, const std::string& value) {
  for (const auto& entry : models_reference()[list])
    if (entry[key] == value) return entry;
  throw std::runtime_error(std::string("refs/models.json has no ") + list + " entry " + value);
}

std::vector<std::string> entry_names(const char* list, const char* key) {
  std::vector<std::string> names;
  try {
    for (const auto& entry : models_reference()[list]) names.push_back(entry[key].get<std::string>());
  } catch (const std::exception&) {
    names.push_back("reference_missing");  // the test itself then fails and says why
  }
  return names;
}

torch::Tensor reference_tensor(const std::string& file, const std::string& name) {
  auto st = ftcore::weights::SafetensorsFile::open(ftcore::parity::parity_dir() / "refs" / file);
  return st->tensor(name).clone();
}

/// Largest |a - b| over the positions where mask [B, T] is 1.
std::vector<std::int64_t> ids_of(const ordered_json& list) { return list.get<std::vector<std::int64_t>>(); }

class CheckpointParity : public ::testing::TestWithParam<std::string> {};

TEST_P(CheckpointParity, LogitsAndGreedyMatchTransformers) {
  ordered_json entry;
  try {
    entry = find_entry("cases", "name", GetParam());
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  fs::path dir = entry["model_dir"].get<std::string>();
  auto loaded = ftcore::parity::load_fp32(dir);
  ASSERT_EQ(loaded.handler->name(), entry["family"].get<std::string>()) << "auto-selection picked the wrong handler";
  auto network = loaded.network;
  network->eval();
  torch::NoGradGuard no_grad;

  auto input_ids = reference_tensor(entry["logits"], "input_ids");
  auto mask = reference_tensor(entry["logits"], "attention_mask");
  auto expected = reference_tensor(entry["logits"], "logits");
  ftcore::nn::Batch batch;
  batch.input_ids = input_ids;
  batch.attention_mask = mask;
  auto logits = network->logits(network->hidden_states(batch));
  ASSERT_EQ(logits.sizes(), expected.sizes());
  double diff = ftcore::parity::max_diff_where(logits, expected, mask);
  std::cout << "[parity] " << GetParam() << " (" << entry["checkpoint"].get<std::string>() << " checkpoint, "
            << loaded.handler->name() << "): max |logit diff| " << diff << " over " << mask.sum().item<int64_t>()
            << " real positions of a padded batch\n";
  EXPECT_LE(diff, kTolerance);

  ftcore::generate::Sampling greedy;
  greedy.max_new_tokens = 20;
  ftcore::nn::KVCache cache;
  std::vector<std::int32_t> prompt;
  for (auto id : ids_of(entry["prompt"])) prompt.push_back(static_cast<std::int32_t>(id));
  // A tokenizer is only needed to stream text; any will do for ids.
  auto result = ftcore::generate::generate(*network, ftcore::testing::byte_tokenizer(), prompt, greedy, cache);
  std::vector<std::int64_t> got(result.ids.begin(), result.ids.end());
  std::cout << "[parity] " << GetParam() << ": greedy " << got.size() << " tokens "
            << (got == ids_of(entry["greedy"]) ? "identical" : "DIFFERENT") << "\n";
  EXPECT_EQ(got, ids_of(entry["greedy"]));
}

INSTANTIATE_TEST_SUITE_P(Transformers, CheckpointParity, ::testing::ValuesIn(entry_names("cases", "name")),
                         [](const auto& info) { return info.param; });

class InitModelParity : public ::testing::TestWithParam<std::string> {};

TEST_P(InitModelParity, TransformersLoadsWhatInitModelWrites) {
  ordered_json entry;
  try {
    entry = find_entry("init_models", "family", GetParam());
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  auto model = ftcore::model::load_model(entry["model_dir"].get<std::string>(), ftcore::testing::builtin_handlers(), {});
  std::cout << "[parity] init-model " << GetParam() << ": transformers loaded it as "
            << entry["model_class"].get<std::string>() << " + " << entry["tokenizer_class"].get<std::string>() << "\n";

  for (const auto& t : entry["texts"]) {
    const std::string text = t["text"];
    auto with = model.tokenizer->encode_ids(text, true), without = model.tokenizer->encode_ids(text, false);
    EXPECT_EQ(std::vector<std::int64_t>(with.begin(), with.end()), ids_of(t["ids"])) << ftcore::parity::show(text);
    EXPECT_EQ(std::vector<std::int64_t>(without.begin(), without.end()), ids_of(t["ids_no_special"]))
        << ftcore::parity::show(text);
  }

  torch::NoGradGuard no_grad;
  auto ids = reference_tensor(entry["logits"], "input_ids");
  auto expected = reference_tensor(entry["logits"], "logits");
  auto mine = model.tokenizer->encode_ids(entry["sentence"].get<std::string>(), true);
  EXPECT_EQ(std::vector<std::int64_t>(mine.begin(), mine.end()),
            std::vector<std::int64_t>(ids.data_ptr<std::int64_t>(), ids.data_ptr<std::int64_t>() + ids.numel()));
  ftcore::nn::Batch batch;
  batch.input_ids = ids;
  auto logits = model.network->logits(model.network->hidden_states(batch));
  double diff = (logits - expected).abs().max().item<double>();
  std::cout << "[parity] init-model " << GetParam() << ": max |logit diff| " << diff << "\n";
  EXPECT_LE(diff, kTolerance);

  std::size_t same = 0;
  for (const auto& r : entry["renderings"]) {
    std::string text = model.chat->render(r["messages"], nullptr, r["add_generation_prompt"].get<bool>()).text;
    if (text == r["text"].get<std::string>()) ++same;
    else ADD_FAILURE() << ftcore::parity::first_difference(r["text"], text);
  }
  std::cout << "[parity] init-model " << GetParam() << ": " << same << "/" << entry["renderings"].size()
            << " chat renderings identical\n";
}

INSTANTIATE_TEST_SUITE_P(Transformers, InitModelParity, ::testing::ValuesIn(entry_names("init_models", "family")),
                         [](const auto& info) { return info.param; });

}  // namespace
