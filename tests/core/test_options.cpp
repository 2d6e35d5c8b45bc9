// The option table, value parsing, precedence and YAML (flat and sectioned).
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "config/cli_parser.hpp"
#include "config/options.hpp"
#include "errors.hpp"

using namespace ftcore;
using namespace ftcore::config;

namespace {

std::string usage_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "<no UsageError>";
}

Config yaml(const std::string& text, unsigned command = kRun) {
  Config config;
  load_yaml_text(config, text, "cfg.yaml", command);
  return config;
}

}  // namespace

TEST(OptionTable, EverySpellingBelongsToOneOption) {
  std::map<std::string, std::string> owner;
  for (const auto& spec : option_table())
    for (const auto& spelling : cli_spellings(spec)) {
      auto [it, inserted] = owner.emplace(spelling, spec.key);
      EXPECT_TRUE(inserted) << spelling << " is claimed by " << it->second << " and " << spec.key;
    }
  for (const auto& mapping : flag_mappings())
    for (const auto& spelling : mapping.spellings)
      EXPECT_EQ(owner.count(normalise_spelling(spelling)), 0u) << spelling;
}

TEST(OptionTable, EveryRowIsComplete) {
  for (const auto& spec : option_table()) {
    EXPECT_FALSE(spec.help.empty()) << spec.key;
    EXPECT_FALSE(spec.group.empty()) << spec.key;
    EXPECT_NE(spec.commands, 0u) << spec.key;
    if (spec.default_value) EXPECT_NO_THROW(parse_value(spec, *spec.default_value, "default")) << spec.key;
  }
}

TEST(OptionTable, SpellingsFromOtherToolsAreAccepted) {
  for (const char* alias : {"lora_rank", "num_train_epochs", "per_device_train_batch_size", "learning_rate",
                            "output_dir", "train_type", "dataset", "dataset_format", "torch_dtype",
                            "max_length", "gradient_checkpointing", "lora-r", "epochs", "batch-size"}) {
    bool found = false;
    for (const auto& spec : option_table())
      for (const auto& spelling : cli_spellings(spec)) found = found || spelling == alias;
    EXPECT_TRUE(found) << alias;
  }
}

TEST(ParseValue, TypesChoicesAndValueAliases) {
  EXPECT_EQ(std::get<std::int64_t>(parse_value(*find_option("lora-r"), "16", "--lora-r")), 16);
  EXPECT_EQ(std::get<std::string>(parse_value(*find_option("lora-r"), "auto", "--lora-r")), "auto");
  EXPECT_DOUBLE_EQ(std::get<double>(parse_value(*find_option("learning-rate"), "2e-4", "x")), 2e-4);
  EXPECT_EQ(std::get<std::string>(parse_value(*find_option("precision"), "bfloat16", "x")), "bf16");
  EXPECT_TRUE(std::get<bool>(parse_value(*find_option("packing"), "Yes", "x")));
  EXPECT_EQ(std::get<std::vector<std::string>>(parse_value(*find_option("target-modules"), "q_proj, v_proj", "x")),
            (std::vector<std::string>{"q_proj", "v_proj"}));
}

TEST(ParseValue, BadValuesNameTheOptionAndWhatWasExpected) {
  EXPECT_EQ(usage_error([] { parse_value(*find_option("lora-r"), "sixteen", "--lora-r"); }),
            "--lora-r: expected an integer or auto, got 'sixteen'");
  EXPECT_EQ(usage_error([] { parse_value(*find_option("packing"), "maybe", "--packing"); }),
            "--packing: expected true or false, got 'maybe'");
  EXPECT_EQ(usage_error([] { parse_value(*find_option("learning-rate"), "fast", "--lr"); }),
            "--lr: expected a number, got 'fast'");
  EXPECT_EQ(usage_error([] { parse_value(*find_option("lr-scheduler"), "cosin", "--lr-scheduler"); }),
            "--lr-scheduler: expected one of constant, linear, cosine, polynomial (did you mean 'cosine'?), got "
            "'cosin'");
}

TEST(Config, HigherLayerWinsRegardlessOfOrder) {
  Config config;
  config.set_text("learning-rate", "1e-3", Layer::cli, "--lr");
  config.set_text("learning-rate", "5e-5", Layer::yaml, "cfg.yaml:1");
  config.set_text("learning-rate", "2e-4", Layer::method, "lora");
  apply_defaults(config, kRun);
  EXPECT_DOUBLE_EQ(*config.number("learning-rate"), 1e-3);
  EXPECT_EQ(config.find("learning-rate")->origin, "--lr");
  EXPECT_EQ(*config.integer("seed"), 42);  // default filled in
  config.set_text("seed", "7", Layer::yaml, "cfg.yaml:2");
  EXPECT_EQ(*config.integer("seed"), 7);   // yaml beats default
}

TEST(Yaml, FlatFileWithAnySpelling) {
  Config config = yaml("learning_rate: 3e-4\nnum_train_epochs: 2\nlora-rank: 8\ntarget_modules: [q_proj, k_proj]\n");
  EXPECT_DOUBLE_EQ(*config.number("learning-rate"), 3e-4);
  EXPECT_DOUBLE_EQ(*config.number("epochs"), 2);
  EXPECT_EQ(*config.integer("lora-r"), 8);
  EXPECT_EQ(config.list("target-modules"), (std::vector<std::string>{"q_proj", "k_proj"}));
  EXPECT_EQ(config.find("learning-rate")->origin, "cfg.yaml:1 (learning_rate)");
}

TEST(Yaml, SectionedFormOfTheSeedConfigs) {
  Config config = yaml(R"(
model:
  path: ./models/tiny
  max_seq_length: 1024
  load_in_4bit: true
  lora_config:
    r: 16
    lora_alpha: 32
    target_modules: [q_proj, v_proj]
    lora_dropout: 0.05
    bias: none
dataset:
  name: ./data
  subset: chat
  split: train
training:
  per_device_train_batch_size: 4
  learning_rate: 2.0e-4
  output_dir: out
)");
  EXPECT_EQ(*config.text("model"), "./models/tiny");
  EXPECT_EQ(*config.integer("max-length"), 1024);
  EXPECT_EQ(*config.text("method"), "qlora");
  EXPECT_EQ(*config.integer("lora-r"), 16);
  EXPECT_DOUBLE_EQ(*config.number("lora-alpha"), 32);
  EXPECT_DOUBLE_EQ(*config.number("lora-dropout"), 0.05);
  EXPECT_EQ(*config.text("lora-bias"), "none");
  EXPECT_EQ(config.list("data"), (std::vector<std::string>{"./data"}));
  EXPECT_EQ(*config.text("data-subset"), "chat");
  EXPECT_EQ(*config.text("data-split"), "train");
  EXPECT_EQ(*config.integer("batch-size"), 4);
  EXPECT_EQ(*config.text("output"), "out");
}

TEST(Yaml, UseLoraFalseMeansFullFineTuning) {
  EXPECT_EQ(*yaml("model:\n  use_lora: false\n").text("method"), "full");
  EXPECT_EQ(*yaml("model:\n  use_lora: true\n").text("method"), "lora");
}

TEST(Yaml, UnknownKeysAreErrorsWithPathLineAndSuggestion) {
  EXPECT_EQ(usage_error([] { yaml("seed: 1\nlerning_rate: 0.1\n"); }),
            "cfg.yaml:2: unknown key 'lerning_rate' (did you mean 'learning_rate'?); see docs/cli-reference.md "
            "for every option");
  EXPECT_EQ(usage_error([] { yaml("model:\n  lora_config:\n    rank_x: 4\n"); }),
            "cfg.yaml:3: unknown key 'model.lora_config.rank_x' (did you mean 'model.lora_config.r'?); see "
            "docs/cli-reference.md for every option");
  EXPECT_EQ(usage_error([] { yaml("training:\n  learning_rat: 1\n"); }),
            "cfg.yaml:2: unknown key 'training.learning_rat' (did you mean 'training.learning_rate'?); see "
            "docs/cli-reference.md for every option");
}

TEST(Yaml, WrongShapesAndBadSyntax) {
  EXPECT_EQ(usage_error([] { yaml("seed: [1, 2]\n"); }), "cfg.yaml:1 (seed): expected an integer, got a list");
  EXPECT_EQ(usage_error([] { yaml("seed: abc\n"); }), "cfg.yaml:1 (seed): expected an integer, got 'abc'");
  EXPECT_EQ(usage_error([] { yaml("- a\n- b\n"); }), "cfg.yaml:1: the file must be a mapping of option: value");
  EXPECT_NE(usage_error([] { yaml("seed: [1,\n"); }).find("cfg.yaml:"), std::string::npos);
  EXPECT_EQ(usage_error([] { yaml("config: other.yaml\n"); }), "cfg.yaml:1 (config): a config file cannot include another");
}

TEST(Yaml, ResolvedConfigRoundTrips) {
  Config config = yaml("learning_rate: 3e-4\ntarget_modules: [q_proj, v_proj]\nmodel:\n  path: \"dir with space\"\n");
  config.set_text("seed", "5", Layer::cli, "--seed");
  apply_defaults(config, kRun);
  std::string text = config.to_yaml(kRun);
  Config again = yaml(text);
  for (const auto& [key, setting] : config.settings()) {
    if (key == "print-config") continue;  // an action, not a setting: not written
    const Setting* read_back = again.find(key);
    ASSERT_NE(read_back, nullptr) << key << " missing from\n" << text;
    EXPECT_EQ(value_text(read_back->value), value_text(setting.value)) << key << "\n" << text;
  }
}

TEST(Reference, DocsFileMatchesTheOptionTable) {
  std::string path = std::string(FTCORE_SOURCE_DIR) + "/docs/cli-reference.md";
  std::string expected = reference_markdown();
  if (std::getenv("FTCORE_UPDATE_DOCS")) std::ofstream(path) << expected;
  std::ifstream in(path);
  std::stringstream actual;
  actual << in.rdbuf();
  EXPECT_EQ(actual.str(), expected) << "docs/cli-reference.md is out of date: regenerate it with "
                                       "FTCORE_UPDATE_DOCS=1 build/bin/test_core --gtest_filter='*Reference*'";
}
