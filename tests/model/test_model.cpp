// Networks built from the SDK blocks, model directories, init-model and the handlers' config
// reading. (Numerical equality with transformers is tests/parity/test_model_parity.cpp.)
#include <sys/stat.h>

#include <cmath>
#include <fstream>

#include <gtest/gtest.h>

#include "errors.hpp"
#include "ftcore/handler_util.hpp"
#include "ftcore/nn/modules.hpp"
#include "handler_registry.hpp"
#include "model/init_model.hpp"
#include "model/model_dir.hpp"
#include "test_support.hpp"
#include "weights/safetensors.hpp"

using namespace ftcore;
using ftcore::testing::TempDir;
using ftcore::testing::error_of;
using nlohmann::json;

namespace {

const ModelHandler& handler(const std::string& name) { return *ftcore::testing::builtin_handlers().handler(name); }

json tiny_config(const std::string& family, std::int64_t vocab = 64) {
  TokenIds ids;
  ids.vocab_size = vocab;
  return handler(family).make_config(model::preset_size("tiny"), ids);
}

std::shared_ptr<nn::CausalLM> tiny_network(const std::string& family, json config = {}) {
  if (config.is_null()) config = tiny_config(family);
  auto network = handler(family).build(config);
  network->init_weights(7);
  network->eval();
  return network;
}

torch::Tensor logits_of(nn::CausalLM& network, const nn::Batch& batch) {
  torch::NoGradGuard no_grad;
  return network.logits(network.hidden_states(batch));
}

torch::Tensor ids(std::vector<std::int64_t> values) { return torch::tensor(values, torch::kInt64).unsqueeze(0); }

/// A tiny random model of the family, written by init-model into dir/m.
std::filesystem::path init_tiny(const TempDir& dir, const std::string& family) {
  model::InitOptions options;
  options.out = dir.path() / "m";
  model::init_model(handler(family), options);
  return options.out;
}


const std::vector<std::string> kFamilies{"llama", "qwen2", "mistral", "gemma", "gpt2"};

}  // namespace

class EveryFamily : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryFamily, BuildsRunsAndNamesParametersAsTheCheckpoint) {
  auto network = tiny_network(GetParam());
  auto logits = logits_of(*network, {ids({1, 2, 3, 4, 5})});
  EXPECT_EQ(logits.sizes(), (std::vector<std::int64_t>{1, 5, 64}));
  EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
  const std::string prefix = GetParam() == "gpt2" ? "transformer." : "model.";
  for (const auto& item : network->named_parameters()) {
    const auto& name = item.key();
    EXPECT_TRUE(name.rfind(prefix, 0) == 0 || name == "lm_head.weight") << name;
  }
}

TEST_P(EveryFamily, FallbackTemplateRendersAndUsesItsSpecialTokens) {
  FamilyFacts facts = handler(GetParam()).facts(json::object());
  ASSERT_FALSE(facts.fallback_chat_template.empty());
  ASSERT_FALSE(facts.special_tokens.eos.empty());
  chat::ChatTemplate chat(facts.fallback_chat_template,
                          {{"bos_token", facts.special_tokens.bos}, {"eos_token", facts.special_tokens.eos}}, "fallback");
  nlohmann::ordered_json messages = nlohmann::ordered_json::parse(R"([
    {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi?"},
    {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye?"}])");
  std::string text = chat.render(messages, nullptr, true).text;
  EXPECT_NE(text.find("Hi?"), std::string::npos) << text;
  // Assistant turns end with the EOS token, so a fine-tuned model learns to stop.
  EXPECT_NE(text.find("Hello." + facts.special_tokens.eos), std::string::npos) << text;
  EXPECT_NE(text.find("Be brief."), std::string::npos) << text;
}

TEST_P(EveryFamily, RightPaddingDoesNotChangeRealPositions) {
  auto network = tiny_network(GetParam());
  auto alone = logits_of(*network, {ids({5, 6, 7})});
  nn::Batch batch;
  batch.input_ids = torch::tensor({5, 6, 7, 0, 0, 9, 10, 11, 12, 13}, torch::kInt64).view({2, 5});
  batch.attention_mask = torch::tensor({1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, torch::kInt64).view({2, 5});
  auto padded = logits_of(*network, batch);
  EXPECT_LT((padded[0].narrow(0, 0, 3) - alone[0]).abs().max().item<double>(), 1e-5);
}

TEST_P(EveryFamily, KvCacheGivesTheSameLogitsAsOneFullPass) {
  auto network = tiny_network(GetParam());
  std::vector<std::int64_t> sequence{3, 1, 4, 1, 5, 9, 2, 6};
  auto full = logits_of(*network, {ids(sequence)});
  nn::KVCache cache;
  torch::NoGradGuard no_grad;
  std::vector<std::int64_t> first(sequence.begin(), sequence.begin() + 5);
  network->hidden_states({ids(first)}, &cache);
  for (std::size_t i = 5; i < sequence.size(); ++i) {
    auto step = network->logits(network->hidden_states({ids({sequence[i]})}, &cache));
    EXPECT_LT((step[0][0] - full[0][static_cast<std::int64_t>(i)]).abs().max().item<double>(), 1e-5) << "position " << i;
  }
  EXPECT_EQ(cache.length(), 8);
}

TEST_P(EveryFamily, PackedSegmentsAttendOnlyWithinThemselves) {
  auto network = tiny_network(GetParam());
  auto a = logits_of(*network, {ids({5, 6, 7})});
  auto b = logits_of(*network, {ids({8, 9})});
  nn::Batch packed;
  packed.input_ids = ids({5, 6, 7, 8, 9});
  packed.position_ids = ids({0, 1, 2, 0, 1});
  packed.segment_ids = ids({0, 0, 0, 1, 1});
  auto both = logits_of(*network, packed);
  EXPECT_LT((both[0].narrow(0, 0, 3) - a[0]).abs().max().item<double>(), 1e-5);
  EXPECT_LT((both[0].narrow(0, 3, 2) - b[0]).abs().max().item<double>(), 1e-5);
}

TEST_P(EveryFamily, InitModelWritesADirectoryThatLoadsBack) {
  TempDir dir;
  model::InitOptions options;
  options.out = dir.path() / "m";
  options.texts = {"hello world, hello tokenizer", "a second text about training"};
  options.seed = 3;
  std::int64_t count = model::init_model(handler(GetParam()), options);
  EXPECT_GT(count, 10000);
  for (const char* file : {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"})
    EXPECT_TRUE(std::filesystem::exists(options.out / file)) << file;

  auto loaded = model::load_model(options.out, ftcore::testing::builtin_handlers(), {});
  EXPECT_EQ(loaded.handler->name(), GetParam());
  // The same seed gives the same weights.
  auto again = handler(GetParam()).build(loaded.config);
  again->init_weights(3);
  auto expected = again->named_parameters();
  for (const auto& item : loaded.network->named_parameters())
    EXPECT_TRUE(torch::equal(item.value(), expected[item.key()])) << item.key();
  // The checkpoint's chat template is the handler's fallback, with its special tokens in the vocabulary.
  EXPECT_EQ(loaded.chat->source(), loaded.facts.fallback_chat_template);
  EXPECT_TRUE(loaded.tokenizer->token_to_id(loaded.facts.special_tokens.eos).has_value());
  EXPECT_FALSE(model::eos_ids(options.out, loaded.config, *loaded.tokenizer).empty());
}

INSTANTIATE_TEST_SUITE_P(Handlers, EveryFamily, ::testing::ValuesIn(kFamilies),
                         [](const auto& info) { return info.param; });

TEST(LinearSites, AreNamedAsTheCheckpointsModules) {
  auto llama = tiny_network("llama");
  std::vector<std::string> names;
  for (const auto& site : llama->linear_sites()) names.push_back(site.name);
  ASSERT_EQ(names.size(), 2u * 7u);
  EXPECT_EQ(names[0], "model.layers.0.self_attn.q_proj");
  EXPECT_EQ(names[3], "model.layers.0.self_attn.o_proj");
  EXPECT_EQ(names[4], "model.layers.0.mlp.gate_proj");
  EXPECT_EQ(names[13], "model.layers.1.mlp.down_proj");

  auto gpt2 = tiny_network("gpt2");
  names.clear();
  for (const auto& site : gpt2->linear_sites()) names.push_back(site.name);
  EXPECT_EQ(names, (std::vector<std::string>{"transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_proj",
                                             "transformer.h.0.mlp.c_fc", "transformer.h.0.mlp.c_proj",
                                             "transformer.h.1.attn.c_attn", "transformer.h.1.attn.c_proj",
                                             "transformer.h.1.mlp.c_fc", "transformer.h.1.mlp.c_proj"}));
}

namespace {

/// A linear layer wrapping another and doubling its output: what an adapter does, in miniature.
class Doubled : public nn::LinearLayer {
 public:
  explicit Doubled(std::shared_ptr<nn::LinearLayer> base) : base_(register_module("base_layer", std::move(base))) {}
  torch::Tensor forward(const torch::Tensor& x) override { return 2 * base_->forward(x); }
  std::int64_t in_features() const override { return base_->in_features(); }
  std::int64_t out_features() const override { return base_->out_features(); }

 private:
  std::shared_ptr<nn::LinearLayer> base_;
};

}  // namespace

TEST(LinearSites, AMethodCanWrapALayerWithoutTheHandlerKnowing) {
  auto network = tiny_network("llama");
  auto before = logits_of(*network, {ids({1, 2, 3})});
  auto site = network->linear_sites()[2];  // v_proj of layer 0
  site.owner->replace_linear(site.child, std::make_shared<Doubled>(site.owner->linear(site.child)));
  EXPECT_FALSE(site.owner->linear(site.child)->is_training()) << "the new layer follows the (eval-mode) network";
  auto after = logits_of(*network, {ids({1, 2, 3})});
  EXPECT_GT((after - before).abs().max().item<double>(), 1e-4);
  bool renamed = false;
  for (const auto& item : network->named_parameters())
    renamed |= item.key() == "model.layers.0.self_attn.v_proj.base_layer.weight";
  EXPECT_TRUE(renamed);
}

TEST(SlidingWindow, KeysFurtherBackThanTheWindowAreNotSeen) {
  json config = tiny_config("mistral");
  config["sliding_window"] = 3;
  auto network = tiny_network("mistral", config);
  auto a = logits_of(*network, {ids({1, 2, 3, 4, 5, 6})});
  auto b = logits_of(*network, {ids({9, 2, 3, 4, 5, 6})});
  // Position 5 sees 3..5 in layer 1 and, through them, 1..5 in layer 2: token 0 is out of reach.
  EXPECT_LT((a[0][5] - b[0][5]).abs().max().item<double>(), 1e-6);
  EXPECT_GT((a[0][2] - b[0][2]).abs().max().item<double>(), 1e-6);
}

TEST(Rope, Llama3ScalingFollowsTransformersFormula) {
  nn::RopeSpec spec;
  spec.theta = 500000;
  spec.scaling = nn::RopeScaling::llama3;
  spec.factor = 8;
  spec.low_freq_factor = 1;
  spec.high_freq_factor = 4;
  spec.original_max_positions = 8192;
  nn::RotaryEmbedding rope(128, spec);
  auto scaled = rope.inv_freq();
  nn::RotaryEmbedding plain(128, nn::RopeSpec{true, 500000});
  auto base = plain.inv_freq();
  for (std::int64_t i = 0; i < 64; ++i) {
    double f = base[i].item<double>(), wavelen = 2 * M_PI / f, expected = f;
    if (wavelen > 8192) expected = f / 8;
    else if (wavelen >= 2048) {
      double smooth = (8192 / wavelen - 1) / 3;
      expected = (1 - smooth) * f / 8 + smooth * f;
    }
    EXPECT_NEAR(scaled[i].item<double>(), expected, 1e-6 * expected) << i;
  }
}

TEST(Rope, PositionsRotatePairsOfHalves) {
  auto x = torch::arange(8, torch::kFloat32).view({1, 1, 1, 8});
  nn::RotaryEmbedding rope(8, nn::RopeSpec{});
  auto [cos, sin] = rope.tables(torch::zeros({1, 1}, torch::kInt64), torch::kFloat32);
  EXPECT_TRUE(torch::allclose(nn::apply_rotary(x, cos, sin), x));  // position 0: no rotation
}

TEST(ModelDir, ReportsMissingUnexpectedAndMisshapenTensorsByName) {
  TempDir dir;
  auto out = init_tiny(dir, "llama");
  auto config = model::read_config(out);
  auto tensors = model::checkpoint_tensors(*handler("llama").build(config));
  tensors.erase(tensors.begin());  // model.embed_tokens.weight
  tensors.emplace_back("model.layers.9.mlp.up_proj.weight", torch::zeros({2, 2}));
  for (auto& [name, tensor] : tensors)
    if (name == "model.norm.weight") tensor = torch::zeros({3});
  weights::save_file(out / "model.safetensors", tensors);
  auto network = handler("llama").build(config);
  std::string message = error_of([&] { model::load_weights(*network, out, torch::kFloat32); });
  EXPECT_NE(message.find("the weights do not fit the architecture in config.json"), std::string::npos) << message;
  EXPECT_NE(message.find("missing tensors (1): model.embed_tokens.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("unexpected tensors (1): model.layers.9.mlp.up_proj.weight"), std::string::npos) << message;
  EXPECT_NE(message.find("wrong shapes (1): model.norm.weight [3] (the model expects [64])"), std::string::npos) << message;
}

TEST(ModelDir, ConvertsDtypesAndSharesMemoryWhenTheyMatch) {
  TempDir dir;
  auto out = init_tiny(dir, "qwen2");
  auto config = model::read_config(out);
  auto fp32 = handler("qwen2").build(config);
  model::load_weights(*fp32, out, torch::kFloat32);
  auto bf16 = handler("qwen2").build(config);
  model::load_weights(*bf16, out, torch::kBFloat16);
  auto a = fp32->named_parameters(), b = bf16->named_parameters();
  for (const auto& item : a) {
    EXPECT_EQ(b[item.key()].scalar_type(), torch::kBFloat16);
    EXPECT_TRUE(torch::equal(b[item.key()], item.value().to(torch::kBFloat16))) << item.key();
  }
  auto file = weights::SafetensorsFile::open(out / "model.safetensors");
  EXPECT_TRUE(torch::equal(file->tensor("model.norm.weight"), a["model.norm.weight"]));
}

TEST(ModelDir, TiedHeadInTheCheckpointIsAccepted) {
  TempDir dir;
  auto out = init_tiny(dir, "gemma");
  auto config = model::read_config(out);
  auto tensors = model::checkpoint_tensors(*handler("gemma").build(config));
  tensors.emplace_back("lm_head.weight", torch::zeros({config["vocab_size"].get<std::int64_t>(), 64}));
  for (auto& t : tensors) t.second = torch::zeros_like(t.second);
  weights::save_file(out / "model.safetensors", tensors);
  auto network = handler("gemma").build(config);
  EXPECT_NO_THROW(model::load_weights(*network, out, torch::kFloat32));
}

// Issue 28: config.json "num_hidden_layers": 1e9 built the model before the weights were looked
// at (23.7 GB until the kernel killed it). The sizes are checked against the checkpoint first.
TEST(ModelDir, AConfigLargerThanItsWeightsIsRefusedBeforeAnythingIsBuilt) {
  TempDir dir;
  auto out = init_tiny(dir, "llama");
  json config = model::read_config(out);
  config["num_hidden_layers"] = 1000000000;
  std::ofstream(out / "config.json") << config.dump();
  std::string message = error_of([&] { model::load_model(out, ftcore::testing::builtin_handlers(), {}); });
  EXPECT_NE(message.find((out / "config.json").string() + " describes a network of about "), std::string::npos) << message;
  EXPECT_NE(message.find("num_layers 1000000000"), std::string::npos) << message;
  EXPECT_NE(message.find("check that config.json belongs to these weights"), std::string::npos) << message;
  config["num_hidden_layers"] = std::int64_t{1} << 40;
  std::ofstream(out / "config.json") << config.dump();
  message = error_of([&] { model::load_model(out, ftcore::testing::builtin_handlers(), {}); });
  EXPECT_NE(message.find("num_layers 1099511627776 is larger than ftcore builds (2^31)"), std::string::npos) << message;
}

TEST(ModelDir, WithoutWeightsANetworkLargerThanTheFreeMemoryIsRefused) {
  TempDir dir;
  auto out = init_tiny(dir, "llama");
  json config = model::read_config(out);
  config["hidden_size"] = 1 << 20;
  config["intermediate_size"] = 1 << 22;
  config["head_dim"] = 64;
  config["num_attention_heads"] = config["num_key_value_heads"] = 1 << 14;
  std::ofstream(out / "config.json") << config.dump();
  model::LoadOptions options;
  options.weights = false;
  std::string message = error_of([&] { model::load_model(out, ftcore::testing::builtin_handlers(), options); });
  EXPECT_NE(message.find("GB of memory free"), std::string::npos) << message;
}

// Issue 28: a FIFO in place of model.safetensors hung the process: it is refused by its kind.
TEST(ModelDir, AFifoInPlaceOfTheWeightsIsRefused) {
  TempDir dir;
  auto out = init_tiny(dir, "llama");
  std::filesystem::remove(out / "model.safetensors");
  ASSERT_EQ(::mkfifo((out / "model.safetensors").c_str(), 0600), 0);
  std::string message = error_of([&] { model::load_model(out, ftcore::testing::builtin_handlers(), {}); });
  EXPECT_NE(message.find("not a regular file but a FIFO (named pipe)"), std::string::npos) << message;
}

TEST(ModelDir, UnknownFamilyListsTheInstalledHandlersAndTheHowto) {
  std::string message = error_of([] {
    model::choose_handler(ftcore::testing::builtin_handlers(), json{{"model_type", "falcon"}}, std::nullopt);
  });
  EXPECT_EQ(message, "no installed model handler recognises model_type 'falcon' (installed: gemma, gpt2, llama, "
                     "mistral, qwen2); pass --handler NAME, or add the family: docs/howto-add-a-model-family.md");
  EXPECT_EQ(model::choose_handler(ftcore::testing::builtin_handlers(), json{{"architectures", {"Qwen2ForCausalLM"}}},
                                  std::nullopt).name(), "qwen2");
}

TEST(ModelDir, ExistingOutputIsNotReplacedWithoutOverwrite) {
  TempDir dir;
  dir.write("m/keep.txt", "precious");
  model::InitOptions options;
  options.out = dir.path() / "m";
  std::string message = error_of([&] { model::init_model(handler("llama"), options); });
  EXPECT_NE(message.find("exists and is not empty; pass --overwrite to replace it"), std::string::npos) << message;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "m" / "keep.txt"));
  options.overwrite = true;
  model::init_model(handler("llama"), options);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "m" / "keep.txt"));
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u) << "a staging directory was left behind";
}

TEST(HandlerConfig, ErrorsNameTheKey) {
  json config = tiny_config("llama");
  config.erase("hidden_size");
  EXPECT_EQ(error_of([&] { handler("llama").architecture(config); }),
            "config.json: 'hidden_size' is missing; the model's config must give it");
  config = tiny_config("llama");
  config["num_hidden_layers"] = "two";
  EXPECT_EQ(error_of([&] { handler("llama").architecture(config); }),
            "config.json: 'num_hidden_layers' must be an integer (got \"two\")");
  config = tiny_config("llama");
  config["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  EXPECT_EQ(error_of([&] { handler("llama").architecture(config); }),
            "config.json: rope_scaling type 'yarn' is not implemented (ftcore knows default, linear and llama3)");
  config = tiny_config("llama");
  config["num_key_value_heads"] = 3;
  EXPECT_NE(error_of([&] { handler("llama").architecture(config); }).find("'num_key_value_heads' (3) must divide"),
            std::string::npos);
  config = tiny_config("qwen2");
  config["use_sliding_window"] = true;
  EXPECT_NE(error_of([&] { handler("qwen2").architecture(config); }).find("'use_sliding_window' is true"), std::string::npos);
  config = tiny_config("gpt2");
  config["activation_function"] = "relu6";
  EXPECT_NE(error_of([&] { handler("gpt2").architecture(config); }).find("'activation_function' is 'relu6'"),
            std::string::npos);
}

TEST(HandlerConfig, FactsComeFromTheConfig) {
  EXPECT_EQ(handler("llama").facts(json{{"max_position_embeddings", 8192}}).max_length, 8192);
  EXPECT_EQ(handler("gpt2").facts(json{{"n_positions", 1024}}).max_length, 1024);
  EXPECT_EQ(handler("gpt2").facts(json::object()).default_target_modules, (std::vector<std::string>{"c_attn"}));
  EXPECT_EQ(handler("mistral").facts(json::object()).default_target_modules,
            (std::vector<std::string>{"q_proj", "v_proj"}));
}

TEST(HandlerDocs, EveryInstalledHandlerIsDocumented) {
  std::ifstream models(std::string(FTCORE_SOURCE_DIR) + "/docs/models.md");
  std::ifstream howto(std::string(FTCORE_SOURCE_DIR) + "/docs/howto-add-a-model-family.md");
  ASSERT_TRUE(models && howto) << "docs/models.md and docs/howto-add-a-model-family.md must exist";
  std::string text((std::istreambuf_iterator<char>(models)), std::istreambuf_iterator<char>());
  std::string guide((std::istreambuf_iterator<char>(howto)), std::istreambuf_iterator<char>());
  for (const auto& name : ftcore::testing::builtin_handlers().names(ComponentKind::handler)) {
    EXPECT_NE(text.find("| `" + name + "` |"), std::string::npos) << "docs/models.md has no row for handler " << name;
    EXPECT_TRUE(std::filesystem::exists(std::string(FTCORE_SOURCE_DIR) + "/handlers/" + name + "/README.md"))
        << "handlers/" << name << "/README.md is missing";
  }
  // The places a new family touches, as the guide lists them, exist.
  for (const char* place : {"handlers/CMakeLists.txt", "tests/common/handler_registry.hpp", "tests/parity/reference_models.py",
                            "tests/parity/run_parity.sh", "docs/models.md"}) {
    EXPECT_NE(guide.find(place), std::string::npos) << "the guide does not mention " << place;
    EXPECT_TRUE(std::filesystem::exists(std::string(FTCORE_SOURCE_DIR) + "/" + place)) << place;
  }
}

TEST(Dropout, Gpt2AppliesItsDropoutsInTrainingOnly) {
  auto network = tiny_network("gpt2");
  EXPECT_DOUBLE_EQ(network->spec().residual_dropout, 0.1);
  auto eval = logits_of(*network, {ids({1, 2, 3, 4})});
  EXPECT_TRUE(torch::equal(eval, logits_of(*network, {ids({1, 2, 3, 4})})));
  network->train();
  torch::manual_seed(1);
  auto first = logits_of(*network, {ids({1, 2, 3, 4})});
  auto second = logits_of(*network, {ids({1, 2, 3, 4})});
  EXPECT_FALSE(torch::allclose(first, second)) << "different dropout masks";
  json config = tiny_config("gpt2");
  config["resid_pdrop"] = config["embd_pdrop"] = config["attn_pdrop"] = 0.0;
  auto plain = tiny_network("gpt2", config);
  plain->train();
  EXPECT_TRUE(torch::equal(logits_of(*plain, {ids({1, 2, 3})}), logits_of(*plain, {ids({1, 2, 3})})));
}
